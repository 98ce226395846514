"""Take screenshots of pages of a running CDMO Match with the system Chromium.

    .venv/bin/python scripts/screenshots.py OUT_DIR PATH [PATH ...] [--base URL] [--login U:P]

Each PATH ("/", "/admin/partners/provider/") is saved as OUT_DIR/<name>.png; `--login U:P` signs
in with that username and password through the sign-in page first.

    .venv/bin/python scripts/screenshots.py --readme docs/screenshots

takes the README's pictures: the directory with two filters as providers and as sites, an empty
list, the profile of the first provider it lists (its sites at a glance, one site's record), a
match run, and the procurement workspace as the demo's buyer works it: the shortlist's
board, the comparison of the three candidates with quotes, and a decision record. (It records
that decision in the demo's database, as a buyer would: run it on a fresh `make demo`.)
"""

import argparse
import re
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _file_name(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--readme", action="store_true", help="take the README's screenshots")
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--login", help="USER:PASSWORD to sign in with first")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--full-page", action="store_true")
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": args.width, "height": 900})
        if args.login:
            username, password = args.login.split(":", 1)
            page.goto(f"{args.base}/accounts/login/")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", password)
            page.click("button[type=submit]")
            page.wait_for_load_state("networkidle")
        if args.readme:
            _readme_screenshots(page, args.base, args.out_dir)
        for path in args.paths:
            page.goto(f"{args.base}{path}")
            page.wait_for_load_state("networkidle")
            target = args.out_dir / f"{_file_name(path)}.png"
            page.screenshot(path=str(target), full_page=args.full_page)
            print(target)
        browser.close()


def _readme_screenshots(page, base: str, out_dir: Path) -> None:
    page.goto(f"{base}/providers/?modality=mab&region=europe")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(out_dir / "directory.png"))
    print(out_dir / "directory.png")
    # The same filters, a row per site.
    page.goto(f"{base}/providers/?modality=mab&region=europe&view=sites")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(out_dir / "directory-sites.png"))
    print(out_dir / "directory-sites.png")
    # Filters that leave nothing: the empty state, one click from a list again.
    page.goto(f"{base}/providers/?modality=mab&region=europe&dea_schedule=I&max_oel=0.01")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(out_dir / "directory-empty.png"))
    print(out_dir / "directory-empty.png")
    # A profile with an inspection history: the largest FDA-inspected mAb provider in Europe,
    # its sites at a glance, then a site with its record opened.
    page.goto(f"{base}/providers/?modality=mab&region=europe&inspected_by=FDA&ordering=-sites")
    page.locator(".provider-card h2 a").first.click()
    page.wait_for_load_state("networkidle")
    page.set_viewport_size({"width": 1280, "height": 1100})
    page.screenshot(path=str(out_dir / "profile-summary.png"))
    print(out_dir / "profile-summary.png")
    site = page.locator("details.site-card", has=page.locator("svg.timeline-chart")).first
    site.evaluate("element => { element.open = true; }")
    site.scroll_into_view_if_needed()
    site.screenshot(path=str(out_dir / "profile.png"))
    print(out_dir / "profile.png")
    page.set_viewport_size({"width": 1280, "height": 900})
    # A match run of the demo sponsor's example brief, with the best site's breakdown open.
    page.goto(f"{base}/accounts/login/?next=/briefs/")
    page.get_by_label("Username").fill("sponsor")
    page.get_by_label("Password").fill("sponsor-demo-2026")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Phase 2 mAb, EU and US supply").click()
    page.get_by_role("button", name="Run match").click()
    page.locator(".result-list").wait_for()
    page.locator(".result").first.get_by_text("Why this score").click()
    page.set_viewport_size({"width": 1280, "height": 1100})
    page.screenshot(path=str(out_dir / "run.png"))
    print(out_dir / "run.png")
    _workspace_screenshots(page, base, out_dir)


def _workspace_screenshots(page, base: str, out_dir: Path) -> None:
    """The demo shortlist's board, three candidates compared, and a decision recorded on them."""
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/?next=/shortlists/")
    page.get_by_label("Username").fill("buyer")
    page.get_by_label("Password").fill("buyer-demo-2026")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Phase 2 mAb — CMO selection").first.click()
    page.wait_for_load_state("networkidle")
    page.set_viewport_size({"width": 1440, "height": 1000})
    page.screenshot(path=str(out_dir / "board.png"))
    print(out_dir / "board.png")
    # The three candidates furthest along, which have quotes.
    columns = page.locator(".board-column")
    ticked = 0
    for stage in ("Proposal received", "RFI received", "RFI sent"):
        column = columns.filter(has=page.get_by_role("heading", name=stage))
        for box in column.locator("input[type=checkbox][form=compare-form]").all():
            box.check()
            ticked += 1
    assert ticked >= 2, "The demo shortlist has fewer than two candidates with quotes"
    page.get_by_role("button", name="Compare selected").click()
    page.wait_for_load_state("networkidle")
    page.get_by_label("Only rows that differ").check()
    page.get_by_role("button", name="Compare", exact=True).click()
    page.wait_for_load_state("networkidle")
    page.set_viewport_size({"width": 1440, "height": 1000})
    page.screenshot(path=str(out_dir / "comparison.png"), full_page=True)
    print(out_dir / "comparison.png")
    page.get_by_role("link", name="Record a decision").click()
    page.locator("input[name=chosen]").first.check()
    page.get_by_label("Rationale").fill(
        "Proposal in and the best team score; its 2,000 L single-use train fits our process "
        "and the quote holds for two months. The second stays warm as a backup."
    )
    page.get_by_role("button", name="Record the decision").click()
    page.wait_for_load_state("networkidle")
    page.set_viewport_size({"width": 1280, "height": 1400})
    page.screenshot(path=str(out_dir / "decision.png"))
    print(out_dir / "decision.png")


if __name__ == "__main__":
    main()
