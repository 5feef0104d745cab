from briefing.sentences import SumyTokenizer, language_code, split_sentences


def test_abbreviations_and_initials_do_not_end_sentences():
    text = "Mr. J. R. Smith met Dr. Jones at 5 p.m. in the U.S. capital. They spoke for an hour."
    assert split_sentences(text) == [
        "Mr. J. R. Smith met Dr. Jones at 5 p.m. in the U.S. capital.",
        "They spoke for an hour.",
    ]


def test_a_quotation_of_several_sentences_stays_one_sentence():
    text = '"We are ready. We have always been ready," the minister said. Talks resume on Monday.'
    assert split_sentences(text) == [
        '"We are ready. We have always been ready," the minister said.',
        "Talks resume on Monday.",
    ]


def test_an_unclosed_quote_does_not_swallow_the_article():
    text = 'He said "this never closes. ' + " ".join(f"Sentence number {i} is here." for i in range(20))
    assert len(split_sentences(text)) > 10


def test_paragraphs_never_share_a_sentence():
    assert split_sentences("First paragraph without a stop\n\nSecond paragraph.") == [
        "First paragraph without a stop", "Second paragraph."]


def test_sumy_tokenizer_offers_what_sumy_calls():
    tokenizer = SumyTokenizer("en-GB")
    assert tokenizer.language == "english"
    assert tokenizer.to_sentences("One here. Two there.") == ("One here.", "Two there.")
    assert tokenizer.to_words("Putin's visit, 30-day truce") == ("Putin's", "visit", "30", "day", "truce")


def test_language_codes_are_normalised():
    assert language_code("EN_us") == "en"
    assert SumyTokenizer("xx").language == "english"


def test_datelines_are_stripped_from_a_sentence():
    from briefing.sentences import strip_dateline

    assert strip_dateline("(CNN)Share, and your gift grows.") == "Share, and your gift grows."
    assert strip_dateline("LONDON, England (CNN) -- The queen spoke.") == "The queen spoke."
    assert strip_dateline("PARIS (Reuters) - Shares fell.") == "Shares fell."
    assert strip_dateline("(Rolling Stone)Kanye West fans queued.") == "Kanye West fans queued."


def test_what_only_looks_like_a_dateline_stays():
    from briefing.sentences import strip_dateline

    assert strip_dateline("Apple (AAPL) shares rose.") == "Apple (AAPL) shares rose."
    assert strip_dateline("(CNN)") == "(CNN)"  # nothing would be left
    assert strip_dateline("Shares (mostly tech) fell.") == "Shares (mostly tech) fell."


def test_content_terms_are_stems_without_stop_words_or_numbers():
    from briefing.sentences import content_terms

    assert content_terms("Ministers were meeting in Paris on 12 March") == {"minist", "meet", "pari", "march"}
    assert content_terms("Ministers meet.") <= content_terms("The minister is meeting.") | {"minist", "meet"}
    assert content_terms("") == frozenset()


def test_word_pairs_are_neighbouring_words_lower_cased():
    from briefing.sentences import word_pairs

    assert word_pairs("Zully Broussard gave a kidney.") == {
        ("zully", "broussard"), ("broussard", "gave"), ("gave", "a"), ("a", "kidney")}
    assert word_pairs("One.") == frozenset()
