#!/usr/bin/env python3
"""Writes a C file embedding the OpenAPI document (YAML turned into compact JSON) and the
migration files, so the ltvd binary carries its contract and schema with it.

usage: embed.py OUTPUT.c openapi.yaml migration.sql...
"""
import json
import os
import sys

import yaml


def c_bytes(data: bytes) -> str:
    lines = []
    for i in range(0, len(data), 20):
        lines.append("  " + ", ".join(str(b) for b in data[i:i + 20]) + ",")
    lines.append("  0")
    return "{\n" + "\n".join(lines) + "\n}"


def main() -> None:
    out, openapi, migrations = sys.argv[1], sys.argv[2], sys.argv[3:]
    with open(openapi, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    spec = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
    parts = ['#include "ltvd/embedded.h"', ""]
    parts.append(f"const char ltvd_embedded_openapi_json[] = {c_bytes(spec)};")
    parts.append(f"const size_t ltvd_embedded_openapi_json_len = {len(spec)};")
    names = []
    for i, path in enumerate(sorted(migrations, key=os.path.basename)):
        with open(path, "rb") as f:
            data = f.read()
        parts.append(f"static const char migration_{i}[] = {c_bytes(data)};")
        names.append((os.path.basename(path), i, len(data)))
    parts.append("const struct ltvd_embedded_file ltvd_embedded_migrations[] = {")
    for name, i, n in names:
        parts.append(f'  {{"{name}", migration_{i}, {n}}},')
    parts.append("};")
    parts.append(f"const size_t ltvd_embedded_migrations_count = {len(names)};")
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(parts) + "\n")


if __name__ == "__main__":
    main()
