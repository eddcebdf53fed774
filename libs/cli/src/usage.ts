export const USAGE = `Usage: npm run wahooks -- <command> [options]

Commands:
  token create --user <uuid> [--name <name>]   Mint an API token; prints the raw wh_ token on stdout (shown once)
  token list   --user <uuid> [--json]          List the user's active tokens
  token revoke --user <uuid> --id <tokenId>    Revoke a token (it stops working at once)

Options:
  --timeout <ms>   How long to wait for the token service (default 10000)
  -h, --help       Show this help

Environment:
  RABBITMQ_URL       amqp://guest:guest@127.0.0.1:5672 by default
  BROKER_NAMESPACE   queue/exchange prefix of the deployment ('' by default)

The CLI talks to the token service over RabbitMQ: start it first (npm start).
`;
