"""Points, distances and locating a shipping address (kit/geo.py)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderflow.kit.geo import ZIP_CENTROIDS, Point, haversine_km, locate, zip5

points = st.builds(
    Point,
    lat=st.floats(min_value=-89.0, max_value=89.0),
    lng=st.floats(min_value=-180.0, max_value=180.0),
)
LOOP = Point(41.8781, -87.6298)
EVANSTON = Point(42.0451, -87.6877)


class TestHaversine:
    def test_a_point_is_zero_km_from_itself(self) -> None:
        assert haversine_km(LOOP, LOOP) == 0.0

    def test_the_loop_to_evanston_is_about_19_km(self) -> None:
        assert haversine_km(LOOP, EVANSTON) == pytest.approx(19.2, abs=0.3)

    def test_one_degree_of_latitude_is_about_111_km(self) -> None:
        assert haversine_km(Point(0, 0), Point(1, 0)) == pytest.approx(111.19, abs=0.01)

    @given(points, points)
    def test_distance_is_symmetric_and_never_negative(self, a: Point, b: Point) -> None:
        assert haversine_km(a, b) == pytest.approx(haversine_km(b, a), abs=1e-6)
        assert haversine_km(a, b) >= 0

    @given(points, points)
    def test_no_two_points_are_farther_apart_than_half_the_globe(self, a: Point, b: Point) -> None:
        assert haversine_km(a, b) <= math.pi * 6371.0088 + 1e-6

    def test_a_point_off_the_globe_is_rejected(self) -> None:
        with pytest.raises(ValueError):
            Point(91.0, 0.0)


class TestLocate:
    def test_the_address_coordinates_win(self) -> None:
        assert locate({"lat": 41.9, "lng": -87.7, "postalCode": "60201"}) == Point(41.9, -87.7)

    def test_coordinates_given_as_strings_are_read(self) -> None:
        assert locate({"lat": "41.9", "lng": "-87.7"}) == Point(41.9, -87.7)

    def test_without_coordinates_a_known_zip_gives_its_centroid(self) -> None:
        assert locate({"postalCode": "60201"}) == ZIP_CENTROIDS["60201"]

    def test_a_zip_plus_four_is_read_as_its_zip(self) -> None:
        assert locate({"postalCode": "60302-1234"}) == ZIP_CENTROIDS["60302"]

    def test_half_given_coordinates_fall_back_on_the_zip(self) -> None:
        assert locate({"lat": 41.9, "postalCode": "60614"}) == ZIP_CENTROIDS["60614"]

    def test_an_unknown_zip_without_coordinates_is_not_located(self) -> None:
        assert locate({"postalCode": "10001"}) is None

    def test_an_address_with_nothing_to_go_on_is_not_located(self) -> None:
        assert locate({"line1": "1 Main St"}) is None

    def test_coordinates_off_the_globe_are_not_located(self) -> None:
        assert locate({"lat": 123.0, "lng": -87.7}) is None

    def test_non_numeric_coordinates_are_not_located(self) -> None:
        assert locate({"lat": "north", "lng": True}) is None

    def test_the_demo_area_covers_the_city_evanston_and_oak_park(self) -> None:
        for code in ("60601", "60614", "60657", "60201", "60202", "60302"):
            assert code in ZIP_CENTROIDS
        assert len(ZIP_CENTROIDS) >= 40

    def test_every_centroid_lies_in_the_chicago_metro(self) -> None:
        for point in ZIP_CENTROIDS.values():
            assert haversine_km(point, LOOP) < 40


class TestZip:
    @pytest.mark.parametrize("key", ["postalCode", "postal_code", "zip"])
    def test_the_zip_is_read_from_the_usual_keys(self, key: str) -> None:
        assert zip5({key: " 60606 "}) == "60606"

    def test_a_malformed_zip_is_ignored(self) -> None:
        assert zip5({"postalCode": "6060"}) is None
