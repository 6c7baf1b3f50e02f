"""The name scrubber of the redacted summary: every party name, whole words, any case."""

from ncii_cases.selectors_summary import NAME_WITHHELD, NameScrubber


def scrubber():
    return NameScrubber(
        [
            ("Ines", "Harrowgate", "Depicted person 1"),
            ("Al", "Smith-Jones", "Respondent"),
            ("Zoë", "Ångström", "Witness"),
            ("Greta", "Quenby", "Parent or guardian"),
            ("Marisol", "Quenby", "Depicted person 2"),
        ]
    )


def test_full_names_and_name_parts_become_the_role_label_in_any_case():
    scrub = scrubber()
    assert scrub("ines  HARROWGATE saw it; Ines's friend too.") == (
        "Depicted person 1 saw it; Depicted person 1's friend too."
    )
    assert scrub("Harrowgate, Ines") == "Depicted person 1"
    assert (
        scrub("Al Smith-Jones and smith, and JONES") == "Respondent and Respondent, and Respondent"
    )
    assert scrub("zoë ångström") == "Witness"


def test_only_whole_words_are_replaced_and_short_parts_alone_are_kept():
    scrub = scrubber()
    # "Ines" inside "lines", "Al" alone (under 3 letters): left as they are.
    assert scrub("Read the lines. Al said so.") == "Read the lines. Al said so."


def test_a_name_part_shared_by_two_parties_is_withheld_without_naming_either():
    scrub = scrubber()
    assert scrub("Greta Quenby and Marisol Quenby") == "Parent or guardian and Depicted person 2"
    assert scrub("the Quenby family") == f"the {NAME_WITHHELD} family"


def test_nothing_to_scrub_leaves_text_as_it_is():
    assert NameScrubber([])("Nothing to do") == "Nothing to do"
    assert scrubber()("") == ""


def test_names_are_found_whatever_apostrophe_case_folding_or_accents_were_typed():
    scrub = NameScrubber(
        [
            ("Sean", "O'Connell", "Witness"),
            ("Jürgen", "Weiß", "Respondent"),
            ("İlkay", "Demirtaş", "Depicted person 1"),
        ]
    )
    # Phones and word processors type the typographic apostrophe.
    assert scrub("Sean O\u2019Connell and O\u2018Connell saw it") == "Witness and Witness saw it"
    # "ß" folds to "ss", "İ" to "i"; accents may be left out when typing.
    assert scrub("WEISS: Jurgen Weiss and weiß") == "Respondent: Respondent and Respondent"
    assert scrub("İlkay told ILKAY's friend; Demirtas") == (
        "Depicted person 1 told Depicted person 1's friend; Depicted person 1"
    )
    # Decomposed accents (e\u0308) are the same letters as precomposed ones.
    assert scrub("Ju\u0308rgen") == "Respondent"


def test_names_inside_handles_and_with_digits_are_scrubbed():
    scrub = scrubber()
    assert scrub("@ines_harrowgate2011 and harrowgate.ines") == (
        "@Depicted person 1_Depicted person 1" + "2011 and Depicted person 1.Depicted person 1"
    )
    # Still whole words as far as letters go.
    assert scrub("Read the lines.") == "Read the lines."
