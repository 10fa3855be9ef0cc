#!/bin/sh
# Creates or upgrades Temporal's two PostgreSQL databases with the admin-tools image's temporal-sql-tool,
# the way Temporal documents now that temporalio/auto-setup is deprecated. Safe to run on every
# `docker compose up`: create is skipped for an existing database, setup-schema -v 0.0 is a no-op on a
# versioned schema, and update-schema applies only the versions that are missing.
set -eu

sql() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" --pw "$POSTGRES_PWD" "$@"; }

until nc -z "$POSTGRES_SEEDS" "$DB_PORT"; do
  echo "waiting for PostgreSQL at $POSTGRES_SEEDS:$DB_PORT"
  sleep 1
done

for db in temporal visibility; do
  name=temporal
  [ "$db" = visibility ] && name=temporal_visibility
  sql --db "$name" create || echo "database $name exists"
  sql --db "$name" setup-schema -v 0.0
  sql --db "$name" update-schema -d "/etc/temporal/schema/postgresql/v12/$db/versioned"
done
echo "Temporal schema is current"
