"""The one HTML-to-text function: every visible word, in reading order, with line breaks; and in
time linear in the input, whatever its nesting or its malformations."""

from __future__ import annotations

import time

import pytest

from connectors.html import MAX_DEPTH, embed_links, html_to_text, img_refs, inline_text


@pytest.mark.parametrize(
    ("html", "text"),
    [
        # Paragraphs are separated by a blank line, <br> is a line break.
        ("<p>one</p><p>two<br>three</p>", "one\n\ntwo\nthree"),
        # A list inside a status with paragraphs: every item kept, one per line.
        (
            "<p>Bring:</p><ul><li>slip</li><li>lunch</li><li>water</li><li>coat</li></ul>",
            "Bring:\n\nslip\nlunch\nwater\ncoat",
        ),
        ("<ol><li>first</li><li>second <b>bold</b></li></ol>", "first\nsecond bold"),
        ("<p>a</p><pre>code()</pre>", "a\n\ncode()"),
        ("<pre>  keep\n    indentation</pre>", "keep\n    indentation"),
        ("<h2>Heading</h2><p>body</p>", "Heading\n\nbody"),
        ("<blockquote><p>quoted</p></blockquote><p>reply</p>", "quoted\n\nreply"),
        ("<table><tr><th>Day</th><td>Fri</td></tr><tr><td>x</td></tr></table>", "Day Fri\nx"),
        ("<dl><dt>Term</dt><dd>Meaning</dd></dl>", "Term\nMeaning"),
        # Inline elements add nothing: no stray space before the full stop.
        ("Hi <b>next</b>.", "Hi next."),
        # Mastodon hides parts of long links; the text keeps the whole URL.
        (
            '<a href="u"><span class="invisible">https://</span><span class="ellipsis">'
            'example.org/a</span><span class="invisible">bc</span></a>',
            "https://example.org/abc",
        ),
        ("<p>&quot;quoted&quot; &amp; more &#8217;</p>", '"quoted" & more \u2019'),
        # Never visible: scripts, styles, templates, the head; markup inside a script is not text.
        ("<head><title>T</title></head><script>x('<p>no</p>')</script><style>p{}</style>ok", "ok"),
        ("<template><p>later</p></template><noscript>js off</noscript>shown", "shown"),
        # Broken markup still gives its text.
        ("<div><p>unclosed</div>after", "unclosed\nafter"),
        ("a < b and c<d", "a < b and c<d"),
        ('<a title="x>y">link</a> <!-- comment --> after', "link after"),
        ("<p>cut <a href='x", "cut <a href='x"),
        ("", ""),
    ],
)
def test_visible_text_in_reading_order_with_line_breaks(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_inline_text_is_one_line_without_markup() -> None:
    assert inline_text("AT&amp;T <b>news</b>\n  today") == "AT&T news today"


def test_100000_nested_divs_take_well_under_a_second() -> None:
    html = "<div>" * 100_000 + "deep text" + "</div>" * 100_000
    started = time.process_time()
    text = html_to_text(html)
    assert time.process_time() - started < 1.0
    assert text == "deep text"


def test_depth_beyond_the_cap_keeps_text_and_line_breaks() -> None:
    depth = MAX_DEPTH + 50
    html = "<div>" * depth + "a<pre>  b</pre>c" + "</div>" * depth + "<p>after</p>"
    # Past the cap an element's kind is no longer tracked (its <pre> spacing is collapsed), but
    # no word and no line break is lost, and the elements below the cap still close properly.
    assert html_to_text(html) == "a\n\nb\n\nc\n\nafter"
    hidden = "<div>" * depth + "<script>no</script>shown" + "</div>" * depth
    assert html_to_text(hidden) == "shown"


@pytest.mark.parametrize(
    "html",
    [
        '<a "' * 200_000,  # unterminated quoted attributes
        "<" * 500_000,  # bare angle brackets
        "<a " * 300_000,  # tags that never close
        "<!--" * 100_000,  # a comment that never ends
        "<script>" * 100_000,  # raw text that never ends
        "</" * 300_000,
    ],
    ids=["quotes", "brackets", "open-tags", "comment", "script", "end-tags"],
)
def test_malformed_input_is_linear(html: str) -> None:
    started = time.process_time()
    html_to_text(html)
    assert time.process_time() - started < 3.0


def test_images_and_embedded_frames_as_absolute_urls() -> None:
    html = (
        '<img data-src="/lazy.jpg" src="data:image/gif;base64,R0l" alt=" Team "><img src="x.png">'
        '<iframe src="https://www.youtube.com/embed/abc"></iframe><video src="/clip.mp4"></video>'
    )
    base = "https://blog.example/post/"
    assert [(r.url, r.alt) for r in img_refs(html, base)] == [
        ("https://blog.example/lazy.jpg", "Team"),
        ("https://blog.example/post/x.png", None),
    ]
    assert embed_links(html, base) == [
        "https://www.youtube.com/embed/abc",
        "https://blog.example/clip.mp4",
    ]
