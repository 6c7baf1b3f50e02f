"""The roster lookup in Chromium: typing a name offers the people found (htmx, no page load),
picking one links the party to that person, and the page passes axe with the results shown."""

import datetime as dt
import re

import pytest

from ncii_cases import choices as c
from ncii_cases.models import Case, Person, School
from tests.browser.helpers import AxeChecked, sign_in
from tests.factories import PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TITLE = "Edited image shared on a bus"


def test_a_student_is_picked_from_the_roster_while_typing(live_server, demo, tab):
    page, base, check = tab, live_server.url, AxeChecked()
    school = School.objects.get(name="Riverbend High School")
    student = PersonFactory(
        district=school.district,
        school=school,
        first_name="Tatum",
        last_name="Junipergate",
        affiliation=c.Affiliation.STUDENT,
        grade="10",
        birth_date=dt.date(2010, 9, 1),
        roster_sourced_id="stu-900001",
    )
    sign_in(page, base, "coordinator", check)

    page.get_by_role("link", name="New report").click()
    page.select_option("#id_school", label="Riverbend High School")
    page.fill("#id_title", TITLE)
    page.fill("#id_narrative", "A student told a teacher an edited image was shared on a bus.")
    page.check("input[name=reach][value=group]")
    page.check("input[name=people-0-role][value=depicted]")
    page.locator("#id_people-0-roster_query").press_sequentially("Junip", delay=40)
    option = page.get_by_label(re.compile(r"Tatum Junipergate \(student, Riverbend High School"))
    option.wait_for()
    assert "/cases/new/" in page.url  # the options came without a page load
    check(page)
    option.check()
    page.get_by_role("button", name="Record the report").click()
    page.wait_for_url(re.compile(r"/cases/\d+/$"))

    party = Case.objects.get(title=TITLE).parties.get()
    assert party.person_id == student.pk and party.is_minor is True
    assert Person.objects.filter(last_name="Junipergate").count() == 1
