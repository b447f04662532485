"""Measure how many recorded exchanges per second carecert loads, scans and validates.

Builds N synthetic FHIR Patient reads (GET plus a 200 response) in a cassette
against a small OpenAPI description, both written to a temporary folder, and
times each stage with time.perf_counter over several repeats. Prints the
median exchanges per second of each stage. openapi-core is timed on fewer
exchanges because it is about a thousand times slower.

Run: python benchmarks/replay_validate.py [--exchanges 10000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from carecert.harness.cassette import (
    CASSETTE_VERSION,
    JsonPersister,
    JsonSerializer,
    dump_cassette,
    parse_cassette,
)
from carecert.harness.conformance import SpecValidator
from carecert.harness.secrets import find_secrets

BASE_URL = "https://fhir.example.nhs.uk/FHIR/R4"

SPEC = """\
openapi: "3.0.3"
info: {title: benchmark FHIR API, version: "1.0"}
servers:
  - url: https://fhir.example.nhs.uk/FHIR/R4
paths:
  /Patient/{id}:
    get:
      parameters:
        - name: id
          in: path
          required: true
          schema: {type: string, pattern: "^[0-9]{10}$"}
        - name: X-Request-ID
          in: header
          required: true
          schema: {type: string, format: uuid}
      responses:
        "200":
          description: The patient.
          headers:
            X-Request-ID: {required: true, schema: {type: string}}
          content:
            application/fhir+json:
              schema: {$ref: "#/components/schemas/Patient"}
components:
  schemas:
    Patient:
      type: object
      required: [resourceType, id]
      properties:
        resourceType: {type: string, enum: [Patient]}
        id: {type: string, pattern: "^[0-9]{10}$"}
        active: {type: boolean}
        gender: {type: string, enum: [male, female, other, unknown]}
        birthDate: {type: string, format: date}
        identifier:
          type: array
          items:
            type: object
            required: [system, value]
            properties:
              system: {type: string}
              value: {type: string}
        name:
          type: array
          items:
            type: object
            properties:
              family: {type: string}
              given: {type: array, items: {type: string}}
        address:
          type: array
          items:
            type: object
            properties:
              line: {type: array, items: {type: string}}
              city: {type: string}
              postalCode: {type: string}
"""


def build_interaction(number: int) -> dict[str, Any]:
    """Return one exchange in cassette file form, with a response body of 330 bytes."""
    patient_id = f"{9000000000 + number:010d}"
    request_id = str(uuid.UUID(int=number))
    patient = {
        "resourceType": "Patient",
        "id": patient_id,
        "active": True,
        "gender": "female",
        "birthDate": "2010-10-22",
        "identifier": [
            {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": patient_id}
        ],
        "name": [{"family": "Smith", "given": ["Jane", "Anne"]}],
        "address": [
            {
                "line": ["1 Trevelyan Square", "Boar Lane"],
                "city": "Leeds",
                "postalCode": "LS1 6AE",
            }
        ],
    }
    return {
        "request": {
            "method": "GET",
            "uri": f"{BASE_URL}/Patient/{patient_id}",
            "headers": {
                "Accept": ["application/fhir+json"],
                "Authorization": ["Bearer <scrubbed>"],
                "X-Request-ID": [request_id],
            },
            "body": None,
        },
        "response": {
            "status": {"code": 200, "message": "OK"},
            "headers": {
                "Content-Type": ["application/fhir+json; charset=utf-8"],
                "X-Request-ID": [request_id],
            },
            "body": {"string": orjson.dumps(patient).decode()},
        },
    }


def median_rate(stage: Callable[[], object], count: int, repeats: int) -> float:
    """Return the median of ``count / seconds`` over ``repeats`` runs of ``stage``."""
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        stage()
        rates.append(count / (time.perf_counter() - started))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--exchanges", type=int, default=10_000, help="exchanges in the cassette"
    )
    parser.add_argument(
        "--reference-exchanges",
        type=int,
        default=200,
        help="exchanges validated with openapi-core alone (it is slow)",
    )
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per stage")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        spec_path = Path(folder) / "patient.yaml"
        spec_path.write_text(SPEC)
        cassette_path = Path(folder) / "patients.json"
        document = {
            "version": CASSETTE_VERSION,
            "interactions": [build_interaction(n) for n in range(args.exchanges)],
        }
        cassette_path.write_bytes(dump_cassette(document))
        raw = cassette_path.read_bytes()

        requests, responses = JsonPersister.load_cassette(
            cassette_path, JsonSerializer()
        )
        pairs = list(zip(requests, responses, strict=True))
        fast = SpecValidator(spec_path)
        reference = SpecValidator(spec_path, fast=False)
        reference_pairs = pairs[: args.reference_exchanges]

        def validate(validator: SpecValidator, exchanges: list[Any]) -> None:
            for index, (request, response) in enumerate(exchanges):
                validator.validate_exchange(cassette_path, index, request, response)

        def end_to_end() -> None:
            loaded_requests, loaded_responses = JsonPersister.load_cassette(
                cassette_path, JsonSerializer()
            )
            for index, exchange in enumerate(
                zip(loaded_requests, loaded_responses, strict=True)
            ):
                fast.validate_exchange(cassette_path, index, *exchange)

        parsed = parse_cassette(raw, cassette_path)
        count, repeats = args.exchanges, args.repeats
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            results = [
                (
                    "JSON parse and structure check",
                    median_rate(
                        lambda: parse_cassette(raw, cassette_path), count, repeats
                    ),
                ),
                (
                    "secret scan",
                    median_rate(lambda: list(find_secrets(parsed)), count, repeats),
                ),
                (
                    "persister load (read, parse, scan, vcrpy objects)",
                    median_rate(
                        lambda: JsonPersister.load_cassette(
                            cassette_path, JsonSerializer()
                        ),
                        count,
                        repeats,
                    ),
                ),
                (
                    "openapi-core validation (reference)",
                    median_rate(
                        lambda: validate(reference, reference_pairs),
                        len(reference_pairs),
                        repeats,
                    ),
                ),
                (
                    "compiled validation (fast path)",
                    median_rate(lambda: validate(fast, pairs), count, repeats),
                ),
                (
                    "end to end through vcrpy objects",
                    median_rate(end_to_end, count, repeats),
                ),
                (
                    "end to end, SpecValidator.validate_cassette",
                    median_rate(
                        lambda: fast.validate_cassette(cassette_path), count, repeats
                    ),
                ),
            ]

    body_size = len(document["interactions"][0]["response"]["body"]["string"])
    print(
        f"{count} exchanges, response body {body_size} bytes, "
        f"median of {repeats} runs, "
        f"Python {platform.python_version()} on {platform.machine()}"
    )
    for name, rate in results:
        print(f"{name:<52} {rate:>12,.0f} exchanges/s  {1e6 / rate:>9.1f} us each")
    print(f"fast-path disagreements with openapi-core: {fast.disagreements}")


if __name__ == "__main__":
    main()
