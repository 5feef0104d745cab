from briefing.gather.html import html_to_line, html_to_text, sanitise_html


def test_scripts_images_and_attributes_are_removed():
    clean = sanitise_html('<p onclick="x()">Hi<script>alert(1)</script><img src="file:///etc/passwd"></p>')
    assert "script" not in clean and "img" not in clean and "onclick" not in clean
    assert "alert" not in clean


def test_links_keep_their_text_but_lose_their_target():
    assert html_to_text('<p>Read <a href="javascript:evil()">the report</a>.</p>') == "Read the report."


def test_paragraphs_and_line_breaks_become_blank_lines():
    text = html_to_text("<p>First <b>bold</b> one.</p><p>Second<br>third</p><ul><li>Item</li></ul>")
    assert text.split("\n\n") == ["First bold one.", "Second", "third", "Item"]


def test_entities_are_decoded_once():
    assert html_to_line("Hollins &amp;amp; Pryce &ndash; results") == "Hollins &amp; Pryce – results"
    assert html_to_line("<b>Hollins</b> &amp; Pryce") == "Hollins & Pryce"


def test_plain_text_survives():
    assert html_to_text("a < b and c > d") == "a < b and c > d"
    assert html_to_text("") == ""
