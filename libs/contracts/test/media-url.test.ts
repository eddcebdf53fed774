import { describe, expect, it } from '@jest/globals';
import { mediaPath, payloadWithPublicMediaUrls, publicMediaUrl, withPublicMediaUrl } from '../src/media-url.js';

const id = '0b7e2a52-4a5e-4c4f-9d0e-2f1c3b4a5d6e';

describe('media URLs', () => {
  it('builds the path and the public URL of one file (a trailing slash of the base is ignored)', () => {
    expect(mediaPath(id, '3EB0C767D26A1D7C.jpeg')).toBe(`/api/connections/${id}/media/3EB0C767D26A1D7C.jpeg`);
    expect(publicMediaUrl('https://api.wahooks.com/', id, 'A.pdf')).toBe(
      `https://api.wahooks.com/api/connections/${id}/media/A.pdf`,
    );
    expect(publicMediaUrl('https://example.com/wahooks//', id, 'A.pdf')).toBe(
      `https://example.com/wahooks/api/connections/${id}/media/A.pdf`,
    );
  });

  it('percent-encodes a file name that needs it, so it stays one path segment', () => {
    expect(mediaPath(id, 'a b/../ü?#%.jpg')).toBe(`/api/connections/${id}/media/a%20b%2F..%2F%C3%BC%3F%23%25.jpg`);
    const url = new URL(publicMediaUrl('http://localhost:3000', id, 'a b/../ü?#%.jpg'));
    expect(url.pathname.split('/')).toHaveLength(6); // '', api, connections, id, media, file
    expect(decodeURIComponent(url.pathname.split('/').pop()!)).toBe('a b/../ü?#%.jpg');
  });

  it('turns an event message relative → absolute, drops `file`, keeps the rest and the input', () => {
    const event = {
      id: 'false_1@c.us_X',
      body: null,
      media: { url: mediaPath(id, 'X.ogg'), file: 'X.ogg', mimetype: 'audio/ogg', filename: null, error: null },
    };
    const shown = withPublicMediaUrl(event, 'http://localhost:3000', id);
    expect(shown).toEqual({
      id: 'false_1@c.us_X',
      body: null,
      media: {
        url: `http://localhost:3000/api/connections/${id}/media/X.ogg`,
        mimetype: 'audio/ogg',
        filename: null,
        error: null,
      },
    });
    expect(Object.keys(shown.media)).toEqual(['url', 'mimetype', 'filename', 'error']); // WAHA's field order
    expect(event.media.file).toBe('X.ogg');
  });

  it('leaves anything without a media file name alone', () => {
    for (const v of [
      null,
      undefined,
      'text',
      5,
      { media: null },
      { media: { url: 'https://x.test/a' } },
      { body: 'x' },
    ])
      expect(withPublicMediaUrl(v, 'http://localhost:3000', id)).toBe(v);
  });

  it('shows a whole payload: the message itself and a revoke’s before and after, the input unchanged', () => {
    const media = (file: string) => ({ url: mediaPath(id, file), file, mimetype: null, filename: null, error: null });
    const shown = (file: string) => ({
      url: publicMediaUrl('https://a.test', id, file),
      mimetype: null,
      filename: null,
      error: null,
    });
    expect(payloadWithPublicMediaUrls({ id: 'm0', media: media('A.jpeg') }, 'https://a.test', id)).toEqual({
      id: 'm0',
      media: shown('A.jpeg'),
    });
    const revoke = {
      revokedMessageId: 'm1',
      before: { id: 'm1', media: media('B.jpeg') },
      after: { id: 'm2', media: null },
    };
    expect(payloadWithPublicMediaUrls(revoke, 'https://a.test', id)).toEqual({
      revokedMessageId: 'm1',
      before: { id: 'm1', media: shown('B.jpeg') },
      after: { id: 'm2', media: null },
    });
    expect(revoke.before.media.file).toBe('B.jpeg');
    for (const v of [null, 'text', { body: 'x' }, { before: null, after: null }])
      expect(payloadWithPublicMediaUrls(v, 'https://a.test', id)).toBe(v);
  });
});
