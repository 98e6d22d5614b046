"""Bulk writing: rows as tuples, buffered per table and written in foreign-key order with
PostgreSQL's ``COPY`` (psycopg 3) or SQLite's ``executemany``, inside the session's
transaction. Ids are given explicitly (``next_id``), so rows can refer to each other before
they are written; PostgreSQL's sequences are moved past them at the end (``finish``), and the
named counters the services number things with (``blood.sequences``) are set to what was used.

Each table's columns are declared once (``COLUMNS``) and checked against the models when the
writer starts: a column the models make NOT NULL that is not written (a new field) fails then,
naming it, instead of in the middle of a province.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from blood.sequences import Counter as CounterRow

COLUMNS: Mapping[str, tuple[str, ...]] = {
    "donor": (
        "id", "station_id", "card_number", "resident_id_key", "resident_id_masked",
        "resident_id_enc", "name", "sex", "birth_date", "household_region", "abo", "rhd",
        "registered_at",
    ),
    "deferral": (
        "id", "donor_id", "permanent", "starts_on", "ends_on", "reason_code", "source",
        "station_id", "note", "created_at",
    ),
    "lookback_trigger": ("id", "donor_id", "organisation_id", "din", "markers", "status",
                         "created_at"),
    "plasma_visit": (
        "id", "donor_id", "station_id", "visit_date", "status", "checked_in_at", "weight_kg",
        "systolic", "diastolic", "pulse", "temperature_c", "total_protein_g_l", "alt_u_l",
        "hb_g_l", "rapid_tests", "questionnaire", "rule_profile", "reasons", "next_eligible_on",
        "screened_at",
    ),
    "plasma_collection": (
        "id", "visit_id", "donor_id", "station_id", "din", "check_character", "machine",
        "kit_lot", "started_at", "ended_at", "total_weight_g", "anticoagulant_ml",
        "adverse_reaction", "abo", "rhd", "state", "destroyed_reason", "released_at",
        "deviation_facts",
    ),
    "plasma_lab_result": (
        "id", "collection_id", "total_protein_g_l", "alt_u_l", "hbsag", "anti_hcv", "anti_hiv",
        "syphilis", "outcome", "tested_at",
    ),
    "plasma_shipment": (
        "id", "number", "station_id", "manufacturer_id", "status", "shipped_at", "received_at",
        "received_by",
    ),
    "plasma_shipment_item": ("id", "shipment_id", "collection_id", "box_label",
                             "receipt_status"),
    "blood_donation": (
        "id", "donor_id", "centre_id", "din", "check_character", "kind", "volume_ml",
        "collected_at", "adverse_reaction", "abo", "rhd", "screening", "confirmed_abo",
        "confirmed_rhd", "group_status", "group_confirmed_at", "deviation_facts",
    ),
    "blood_test_result": (
        "id", "donation_id", "centre_id", "marker", "result", "value", "limit_value",
        "entered_by", "entered_at",
    ),
    "blood_unit": (
        "id", "din", "check_character", "product_code", "division", "component", "abo", "rhd",
        "volume_ml", "collected_at", "expires_at", "state", "owner_id", "centre_id",
        "donation_id", "discard_reason", "updated_at",
    ),
    "blood_order": (
        "id", "number", "hospital_id", "centre_id", "urgency", "status", "created_at",
        "created_by",
    ),
    "blood_order_line": ("id", "order_id", "component", "abo", "rhd", "quantity", "fulfilled"),
    "blood_dispatch": (
        "id", "number", "kind", "from_id", "to_id", "order_id", "status", "dispatched_at",
        "dispatched_by", "received_at", "received_by",
    ),
    "blood_dispatch_item": ("id", "dispatch_id", "unit_id", "temperature_ok"),
    "blood_unit_movement": (
        "id", "unit_id", "action", "from_state", "to_state", "organisation_id",
        "counterpart_id", "component", "abo", "rhd", "at", "reason",
    ),
    "blood_temperature_excursion": (
        "id", "unit_id", "dispatch_id", "organisation_id", "recorded_by", "recorded_at",
        "outcome", "closed_at",
    ),
    "blood_daily_usage": ("organisation_id", "day", "component", "abo", "rhd", "units"),
    "clinical_transfusion": (
        "id", "hospital_id", "unit_id", "component", "unit_abo", "unit_rhd", "counted_ml",
        "patient_key", "patient_mask", "patient_sex", "patient_birth_year", "patient_age_band",
        "patient_abo", "patient_rhd", "department", "ward", "indication", "surgical",
        "bleeding", "pre_hb_g_l", "pre_platelets_e9_l", "pre_pt_ratio", "pre_inr",
        "pre_aptt_ratio", "pre_fibrinogen_g_l", "started_at", "ended_at", "volume_given_ml",
        "ordering_doctor_key", "ordering_doctor_mask", "emergency", "emergency_reason",
        "autologous", "window_total_ml", "required_approval", "review_status", "reviewed_by",
        "reviewed_at", "review_comment", "outcome_due_at", "recorded_at", "recorded_by",
    ),
    "clinical_transfusion_approval": ("id", "transfusion_id", "tier", "staff_key",
                                      "staff_mask"),
    "clinical_transfusion_flag": (
        "id", "transfusion_id", "hospital_id", "code", "facts", "report", "raised_at",
    ),
    "clinical_transfusion_outcome": (
        "id", "transfusion_id", "hospital_id", "patient_key", "component", "span_from",
        "measured_at", "hb_g_l", "platelets_e9_l", "inr", "fibrinogen_g_l",
        "body_surface_area_m2", "platelets_given_e11", "units", "increment", "cci",
        "ineffective", "basis", "recorded_at", "recorded_by",
    ),
    "clinical_adverse_reaction": (
        "id", "hospital_id", "category", "severity", "imputability", "outcome", "onset_at",
        "alert_required", "alerted_at", "recorded_at", "recorded_by",
    ),
    "clinical_reaction_transfusion": ("reaction_id", "transfusion_id"),
}  # fmt: skip

FLUSH_ROWS = 100_000  # buffered rows, all tables together, before a flush


class BulkWriter:
    """Buffers rows and writes them in foreign-key order (see the module)."""

    def __init__(self, session: Session):
        self.session = session
        self.connection = session.connection()
        self.dialect = self.connection.dialect
        self.postgresql = self.dialect.name == "postgresql"
        metadata = SQLModel.metadata
        self.tables = {name: metadata.tables[name] for name in COLUMNS}
        order = [t.name for t in metadata.sorted_tables]
        self.order = sorted(COLUMNS, key=order.index)
        self.buffers: dict[str, list[tuple]] = {name: [] for name in COLUMNS}
        self.written: Counter[str] = Counter()
        self.buffered = 0
        self._converters = {name: self._converter(name) for name in COLUMNS}
        self._ids = {name: self._max_id(name) for name in COLUMNS if "id" in COLUMNS[name]}

    # --- ids ---------------------------------------------------------------------------------

    def _max_id(self, name: str) -> int:
        table = self.tables[name]
        return int(self.connection.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0)

    def next_id(self, name: str) -> int:
        self._ids[name] += 1
        return self._ids[name]

    # --- rows --------------------------------------------------------------------------------

    def add(self, name: str, row: tuple) -> None:
        self.buffers[name].append(row)
        self.buffered += 1

    def flush_if_full(self) -> None:
        """Write everything buffered once enough is; callers call it only where every row
        buffered has its parents buffered or written."""
        if self.buffered >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        for name in self.order:
            rows = self.buffers[name]
            if rows:
                self._write(name, rows)
                self.written[name] += len(rows)
                self.buffers[name] = []
        self.buffered = 0

    def _write(self, name: str, rows: list[tuple]) -> None:
        columns = COLUMNS[name]
        convert = self._converters[name]
        raw = self.connection.connection.driver_connection
        if self.postgresql:
            statement = f"COPY {name} ({', '.join(columns)}) FROM STDIN"
            with raw.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(convert(row) if convert else row)
        else:
            marks = ", ".join("?" for _ in columns)
            statement = f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})"
            cursor = raw.cursor()
            try:
                cursor.executemany(statement, map(convert, rows) if convert else rows)
            finally:
                cursor.close()

    def _converter(self, name: str) -> Callable[[tuple], tuple] | None:
        """What turns a row of Python values into what the driver takes: JSON serialised for
        COPY; on SQLite, SQLAlchemy's own bind processors (dates and times stored as it
        stores them, JSON, booleans)."""
        table, columns = self.tables[name], COLUMNS[name]
        missing = [
            c.name
            for c in table.columns
            if not c.nullable and c.server_default is None and c.name not in columns
        ]
        unknown = [c for c in columns if c not in table.columns]
        if missing or unknown:
            raise RuntimeError(f"synth: table {name} changed: missing {missing}, unknown {unknown}")
        if self.postgresql:
            json_at = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, sa.JSON)]
            if not json_at:
                return None

            def to_copy(row: tuple) -> tuple:
                values = list(row)
                for index in json_at:
                    if values[index] is not None:
                        values[index] = json.dumps(values[index], ensure_ascii=False)
                return values

            return to_copy
        processors: Sequence[Any] = [table.c[c].type.bind_processor(self.dialect) for c in columns]
        if not any(processors):
            return None
        pairs = [(i, p) for i, p in enumerate(processors) if p is not None]

        def to_sqlite(row: tuple) -> tuple:
            values = list(row)
            for index, process in pairs:
                if values[index] is not None:
                    values[index] = process(values[index])
            return values

        return to_sqlite

    # --- the end -----------------------------------------------------------------------------

    def finish(self, counters: Mapping[str, int]) -> None:
        """Flush, set the services' named counters, and move PostgreSQL's sequences past the
        ids given here."""
        self.flush()
        table = CounterRow.__table__
        for counter, value in sorted(counters.items()):
            updated = self.connection.execute(
                sa.update(table).where(table.c.name == counter).values(value=value)
            )
            if not updated.rowcount:
                self.connection.execute(sa.insert(table).values(name=counter, value=value))
            self.written["counter"] += 1
        if self.postgresql:
            for name in self.order:
                if "id" in COLUMNS[name] and self.written[name]:
                    self.connection.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT max(id) FROM {name}))"
                    )
