"""Plasma stations' release and shipping: the weekly release day once a unit has been held the
quarantine days and a later donation has tested negative, the biweekly shipments to the
manufacturer, and their numbers. A mixin of ``blood.synth.plasma.PlasmaStations`` (which holds
``ctx``, ``clock``, ``stations`` and ``shipments``)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from blood.synth.clock import Clock
    from blood.synth.context import Context
    from blood.synth.province import Station

RELEASE_MINUTES, SHIP_MINUTES = 10 * 60, 9 * 60


class Shipping:
    ctx: Context
    clock: Clock
    stations: list[Station]
    shipments: dict[tuple[int, date], list]

    def _release_at(self, station: Station, collected: date, later_tested: datetime) -> datetime:
        """The station's weekly release day once the unit is held the quarantine days and
        the later donation's result is in."""
        day = max(collected + timedelta(self.ctx.quarantine_days),
                  self.clock.day_of(later_tested) + timedelta(1))  # fmt: skip
        weekday = 1 + self.stations.index(station) % 3
        day += timedelta((weekday - day.weekday()) % 7)
        return self.clock.at(day, RELEASE_MINUTES)

    def _shipment(self, station: Station, released: datetime):
        """The next biweekly shipment after release: (id, box, received) or None when it
        leaves after the history's end."""
        day = self.clock.day_of(released) + timedelta(1)
        day += timedelta((3 - day.weekday()) % 7)  # Thursdays
        phase = self.stations.index(station) % 2
        if (day.toordinal() // 7 + phase) % 2:
            day += timedelta(7)
        shipped = self.clock.at(day, SHIP_MINUTES)
        if shipped > self.clock.end:
            return None
        received = self.clock.at(day + timedelta(2), 14 * 60)
        received_yet = received <= self.clock.end
        key = (station.org.id, day)
        found = self.shipments.get(key)
        if found is None:
            found = self.shipments[key] = [self.ctx.writer.next_id("plasma_shipment"), 0]
            self.ctx.writer.add("plasma_shipment", (
                found[0], f"{station.org.code}-S?{found[0]}", station.org.id,
                self.ctx.manufacturer.id, "received" if received_yet else "shipped", shipped,
                received if received_yet else None, "收货质检员" if received_yet else None,
            ))  # fmt: skip
        found[1] += 1
        return found[0], 1 + (found[1] - 1) // 12, received_yet

    def shipment_numbers(self) -> tuple[list[tuple[int, str]], dict[str, int]]:
        """Each shipment's number in date order per station (``PS-…-S00001``), and the
        stations' shipment counters."""
        numbers, counters = [], {}
        by_station: dict[int, list[tuple[date, int]]] = {}
        for (station_id, day), (shipment_id, _items) in self.shipments.items():
            by_station.setdefault(station_id, []).append((day, shipment_id))
        codes = {s.org.id: s.org.code for s in self.stations}
        for station_id, rows in sorted(by_station.items()):
            for index, (_day, shipment_id) in enumerate(sorted(rows), start=1):
                numbers.append((shipment_id, f"{codes[station_id]}-S{index:05d}"))
            counters[f"shipment:{station_id}"] = len(rows)
        return numbers, counters
