#!/bin/sh
# WAHooks database layout. The postgres image runs this once, when its volume is first initialised
# (/docker-entrypoint-initdb.d); it is idempotent, so run it again by hand to add what is missing, rotate a
# password or take over a database laid out by an older version whose services connected as the superuser:
#   docker compose exec postgres sh /docker-entrypoint-initdb.d/10-wahooks.sh
#
# One login role per service with state, owning its schema and nothing else (no CREATE on the database, no
# access to the other schemas, no superuser); the gateway owns nothing durable and has no role:
#   wahooks_token            → schema token
#   wahooks_connection       → schema connection
#   wahooks_messaging        → schema messaging
#   wahooks_webhook_delivery → schema webhook_delivery
#   wahooks_billing          → schema billing
# Passwords: TOKEN_DB_PASSWORD, CONNECTION_DB_PASSWORD, MESSAGING_DB_PASSWORD, WEBHOOK_DELIVERY_DB_PASSWORD,
# BILLING_DB_PASSWORD, or the same names with _FILE naming a file that holds it (Docker secrets). Each one is
# required: the script stops naming the first one missing. Plus a NOLOGIN role wahooks_readonly (SELECT on every
# schema) for dashboards and support queries: grant it to a person's role, or ALTER ROLE … LOGIN PASSWORD.
#
# Connects as POSTGRES_USER to POSTGRES_DB (what the image sets); PGHOST/PGPORT/PGPASSWORD work as usual.
# WAHOOKS_ROLE_PREFIX (default wahooks_) renames the roles; the repo's tests use it to stay apart.
set -eu

prefix=${WAHOOKS_ROLE_PREFIX:-wahooks_}
db=${POSTGRES_DB:?POSTGRES_DB names the database the services use}

# secret NAME: the value of $NAME, or the content of the file $NAME_FILE names (one trailing newline dropped).
secret() {
  eval "value=\${$1:-}"
  eval "file=\${$1_FILE:-}"
  if [ -n "$value" ] && [ -n "$file" ]; then
    echo "10-wahooks.sh: both $1 and $1_FILE are set: keep one" >&2
    return 1
  fi
  if [ -n "$file" ]; then value=$(cat "$file") || return 1; fi
  if [ -z "$value" ]; then
    echo "10-wahooks.sh: $1 (or $1_FILE) is required: the password of the service's database role" >&2
    return 1
  fi
  printf '%s' "$value"
}

token_pw=$(secret TOKEN_DB_PASSWORD)
connection_pw=$(secret CONNECTION_DB_PASSWORD)
messaging_pw=$(secret MESSAGING_DB_PASSWORD)
webhook_delivery_pw=$(secret WEBHOOK_DELIVERY_DB_PASSWORD)
billing_pw=$(secret BILLING_DB_PASSWORD)

# psql variables are not substituted inside dollar quotes: statements built from them go through \gexec.
role_sql() { # schema password-variable
  cat <<SQL
\set schema $1
\set role ${prefix}$1
SELECT format('CREATE ROLE %I', :'role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
ALTER ROLE :"role" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD :'$2';
GRANT CONNECT ON DATABASE :"db" TO :"role";
CREATE SCHEMA IF NOT EXISTS :"schema" AUTHORIZATION :"role";
ALTER SCHEMA :"schema" OWNER TO :"role";
-- Tables made by an older version (services connected as the superuser) change hands; sequences owned by a
-- column follow their table.
SELECT format('ALTER %s %I.%I OWNER TO %I',
              CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                             ELSE 'TABLE' END,
              n.nspname, c.relname, :'role')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = :'schema' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
   AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = :'role')
   AND NOT (c.relkind = 'S' AND EXISTS (SELECT FROM pg_depend d
                                         WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                                           AND d.deptype IN ('a', 'i'))) \gexec
GRANT USAGE ON SCHEMA :"schema" TO :"readonly";
GRANT SELECT ON ALL TABLES IN SCHEMA :"schema" TO :"readonly";
ALTER DEFAULT PRIVILEGES FOR ROLE :"role" IN SCHEMA :"schema" GRANT SELECT ON TABLES TO :"readonly";
SQL
}

{
  cat <<SQL
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
\set db $db
\set readonly ${prefix}readonly
-- Timestamps are timestamptz; sessions read and print them in UTC.
ALTER DATABASE :"db" SET timezone TO 'UTC';
-- Only the roles below (and the superuser) connect; nobody else creates anything in public.
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SELECT format('CREATE ROLE %I NOLOGIN', :'readonly')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'readonly') \gexec
GRANT CONNECT ON DATABASE :"db" TO :"readonly";
SQL
  role_sql token token_pw
  role_sql connection connection_pw
  role_sql messaging messaging_pw
  role_sql webhook_delivery webhook_delivery_pw
  role_sql billing billing_pw
} | psql --no-psqlrc --quiet --username "${POSTGRES_USER:-postgres}" --dbname "$db" \
  -v token_pw="$token_pw" -v connection_pw="$connection_pw" -v messaging_pw="$messaging_pw" \
  -v webhook_delivery_pw="$webhook_delivery_pw" -v billing_pw="$billing_pw"
echo "10-wahooks.sh: roles ${prefix}{token,connection,messaging,webhook_delivery,billing} own their schemas in $db"
