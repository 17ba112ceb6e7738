"""Where the language switch and sign-in send the reader back to: this site's pages only."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize(("sent", "lands"), [
    ("/oversight/search?q=1", "/oversight/search?q=1"),
    ("/\x12\x12·\r\x19Ï", "/"),  # a CR in a Location header was a 500 (found by the form fuzzer)
    ("/a\nSet-Cookie: x=1", "/"),
    ("/\\evil.example", "/"),  # browsers read /\ as //: another site
    ("//evil.example", "/"),
    ("https://evil.example/", "/"),
    ("search", "/"),
])
def test_the_language_switch_goes_back_to_this_site_only(client, sent, lands):
    resp = client.post("/lang/en", data={"next": sent})
    assert resp.status_code == 302
    assert resp.headers["Location"] == lands
