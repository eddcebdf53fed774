-- Runs once, when the Postgres volume is first initialised (docker-entrypoint-initdb.d), in POSTGRES_DB.
-- The services create their database, schema and tables themselves (@wahooks/db, migrations at start), so a
-- missing step here never breaks a start; this file only sets what a service should not decide on its own.

-- Timestamps are stored as timestamptz; sessions read and print them in UTC. (current_database() is POSTGRES_DB.)
DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET timezone TO %L', current_database(), 'UTC'); END $$;

-- One schema per service, owned by the connecting role (listed here so a DBA sees the layout at a glance).
CREATE SCHEMA IF NOT EXISTS token;
CREATE SCHEMA IF NOT EXISTS connection;
CREATE SCHEMA IF NOT EXISTS messaging;
CREATE SCHEMA IF NOT EXISTS webhook_delivery;
CREATE SCHEMA IF NOT EXISTS billing;

-- A read-only role for dashboards and support queries (no login until an operator sets a password).
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wahooks_readonly') THEN
    CREATE ROLE wahooks_readonly NOLOGIN;
  END IF;
END
$$;
DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO wahooks_readonly', current_database()); END $$;
GRANT USAGE ON SCHEMA token, connection, messaging, webhook_delivery, billing TO wahooks_readonly;
ALTER DEFAULT PRIVILEGES IN SCHEMA token, connection, messaging, webhook_delivery, billing
  GRANT SELECT ON TABLES TO wahooks_readonly;
