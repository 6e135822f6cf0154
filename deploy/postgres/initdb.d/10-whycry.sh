#!/bin/bash
# Runs once, when the postgres container initialises an empty data volume
# (the image runs everything in /docker-entrypoint-initdb.d at that point and
# never again). It creates:
#   - role `whycry` owning database `whycry` (the app; it runs its own migrations);
#   - role `temporal`, allowed to create databases, owning database `temporal`.
#     Temporal's auto-setup creates `temporal_visibility` itself and loads both
#     schemas, but it skips creating a database that has the same name as its
#     user (it expects the postgres image to have made that one), so `temporal`
#     is made here.
# Passwords come from WHYCRY_DB_PASSWORD and TEMPORAL_DB_PASSWORD. Changing
# them later in .env does not change the roles: use ALTER ROLE … PASSWORD.
#
# No `set -u` or `exit` here: the postgres entrypoint sources this file if it
# is not executable, and those would leak into (or end) the entrypoint itself.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v whycry_password="${WHYCRY_DB_PASSWORD:?WHYCRY_DB_PASSWORD is not set}" \
  -v temporal_password="${TEMPORAL_DB_PASSWORD:?TEMPORAL_DB_PASSWORD is not set}" <<'SQL'
CREATE ROLE whycry LOGIN PASSWORD :'whycry_password';
CREATE DATABASE whycry OWNER whycry;
CREATE ROLE temporal LOGIN CREATEDB PASSWORD :'temporal_password';
CREATE DATABASE temporal OWNER temporal;
SQL
