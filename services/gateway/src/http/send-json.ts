/**
 * A JSON response without express's `res.json` → `res.send` extras, which API replies never need: charset
 * re-parsing of the Content-Type, ETag generation (off) and the request-freshness check. Saves a measurable share
 * of the gateway's CPU per request. HEAD gets the headers only, as express would send.
 */
import type { Request, Response } from 'express';

export function sendJson(req: Request, res: Response, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  if (req.method === 'HEAD') res.end();
  else res.end(text);
}
