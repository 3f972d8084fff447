import { bodyText } from '../../../src/lib/calendar/sync/managed';

describe('bodyText (what drift compares of a body)', () => {
  it("reads Graph's HTML-wrapped body as the words the caller wrote", () => {
    const graph =
      '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"><style>p{margin:0}</style></head>' +
      '<body><!-- converted --><p>Bring your laptop&#8217;s charger &amp; a pen&#xA0;&nbsp;</p></body></html>';
    expect(bodyText(graph, 'html')).toBe(bodyText('<p>Bring your laptop’s charger & a pen</p>', 'html'));
    expect(bodyText(graph, 'html')).toBe('Bring your laptop’s charger & a pen');
  });

  it('keeps text as text: a < in a text body is not a tag', () => {
    expect(bodyText('a <b> c\n\n d', 'text')).toBe('a <b> c d');
    expect(bodyText(undefined, 'html')).toBe('');
  });
});
