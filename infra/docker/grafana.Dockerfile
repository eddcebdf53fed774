# Grafana with WAHooks' data sources and dashboards baked in, for Docker Swarm (docker compose mounts the same
# folders instead): Swarm configs are single files, and a bind mount would need the checkout on the node.
#   docker build -f infra/docker/grafana.Dockerfile -t $REGISTRY/wahooks-grafana:$TAG .
ARG GRAFANA_IMAGE=grafana/grafana:11.2.2
FROM ${GRAFANA_IMAGE}
COPY infra/grafana/provisioning /etc/grafana/provisioning
# Where the dashboard provider (infra/grafana/provisioning/dashboards/) looks; not under /var/lib/grafana, where the
# grafana-data volume would hide a newer image's dashboards behind the ones it copied the first time.
COPY infra/grafana/dashboards /etc/grafana/dashboards
