/**
 * zod issues as the messages of a 400 body. The rules live in @wahooks/contracts (zod-errors.ts), shared with
 * the gateway; these names are the broker's public surface for them.
 */
export {
  badRequestFromZod as validationError,
  parseOrBadRequest as parseOr400,
  zodIssueMessages as issueMessages,
} from '@wahooks/contracts';
