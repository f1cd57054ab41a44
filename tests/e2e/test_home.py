"""The App Home through Slack: what waits on me, and its buttons open the same forms."""

from tests.e2e.conftest import Running
from tests.e2e.test_pathway import post_plan, schedule_soon, set_up_pair


def test_opening_the_home_tab_shows_what_waits_and_its_buttons_work(kapbot: Running) -> None:
    d = kapbot.driver
    set_up_pair(kapbot)
    post_plan(kapbot)
    schedule_soon(kapbot)
    d.open_home("lee")
    kapbot.delivered()
    home = d.sees("lee").home
    assert "KAP-0042" in home
    d.click("lee", "Pre-session checklist", where="home")
    assert d.sees("lee").modal.startswith("Pre-session checklist")
    d.close_modal("lee")
    d.open_home("rowe")
    kapbot.delivered()
    assert "KAP-0042" in d.sees("rowe").home
