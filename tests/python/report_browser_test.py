"""The report's HTML page in a real headless browser (Debian's chromium + chromium-driver, driven
by selenium): it renders without console errors, no two chart labels overlap and none leaves its
chart, the example pairs show the input rows' texts, the page needs no horizontal scrolling at
phone width; and a screenshot of each width is written to the test's directory.

Usage: report_browser_test.py SEMDEDUP_BINARY [WORK_DIR]   (WORK_DIR: default a new temp dir,
removed when every check passed)
"""

import itertools
import os
import shutil
import subprocess
import sys
import tempfile

import pyarrow.parquet as pq
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.chrome.service import Service

# Many eps values, some closer together than a label is wide.
CROWDED_EPS = "0,0.0001,0.001,0.002,0.005,0.01,0.011,0.02,0.05,0.06,0.1,0.15,0.5"
WIDTHS = {"desktop": 1200, "phone": 390}


def run(args):
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result.stdout


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--hide-scrollbars"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver")
    return webdriver.Chrome(service=service, options=options)


LABEL_BOXES = """
return Array.from(document.querySelectorAll('svg')).map((svg, chart) => {
  const frame = svg.getBoundingClientRect();
  return Array.from(svg.querySelectorAll('text')).map(t => {
    const r = t.getBoundingClientRect();
    return {chart, text: t.textContent, left: r.left, top: r.top, right: r.right,
            bottom: r.bottom, frame: [frame.left, frame.top, frame.right, frame.bottom], inside: r.left >= frame.left - 0.5 && r.right <= frame.right + 0.5 &&
            r.top >= frame.top - 0.5 && r.bottom <= frame.bottom + 0.5};
  });
}).flat();
"""

SIDES = """
return Array.from(document.querySelectorAll('.example .side')).map(side => ({
  id: side.querySelector('.id').textContent,
  texts: Array.from(side.querySelectorAll('.text')).map(p => p.textContent)}));
"""


def overlap(a, b):
    # Strictly overlapping boxes; touching edges (and sub-pixel rounding) are fine.
    return (min(a["right"], b["right"]) - max(a["left"], b["left"]) > 0.5 and
            min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > 0.5)


def check_page(driver, url, width, name, work, texts_by_id):
    failures = []
    driver.set_window_size(width, 900)
    driver.get(url)
    errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    if errors:
        failures.append(f"{name}: console errors: {errors}")
    boxes = driver.execute_script(LABEL_BOXES)
    if len(boxes) < 20:
        failures.append(f"{name}: only {len(boxes)} chart labels")
    for a, b in itertools.combinations(boxes, 2):
        if a["chart"] == b["chart"] and overlap(a, b):
            failures.append(f"{name}: labels overlap: {a['text']!r} and {b['text']!r}")
    for box in boxes:
        if not box["inside"]:
            failures.append(f"{name}: label {box['text']!r} leaves its chart: "
                            f"{[box[k] for k in ('left', 'top', 'right', 'bottom')]} in "
                            f"{box['frame']}")
    scroll_width = driver.execute_script("return document.documentElement.scrollWidth")
    if scroll_width > width + 1:
        failures.append(f"{name}: the page is {scroll_width} px wide in a {width} px window")
    driver.save_screenshot(os.path.join(work, f"report-{name}-top.png"))
    driver.execute_script("document.querySelector('.example').scrollIntoView()")
    driver.save_screenshot(os.path.join(work, f"report-{name}-examples.png"))
    sides = driver.execute_script(SIDES)
    shown = [side for side in sides if side["texts"]]
    if not sides or len(shown) < len(sides):
        failures.append(f"{name}: {len(shown)} of {len(sides)} example rows show a text")
    for side in shown:
        row_id = int(side["id"].split()[-1])
        expected = texts_by_id[row_id]
        text = side["texts"][0]
        if not (text == expected or (text.endswith("…") and expected.startswith(text[:-1]))):
            failures.append(f"{name}: row {row_id} shows {text!r}, its text is {expected!r}")
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, height)
    shot = os.path.join(work, f"report-{name}.png")
    driver.save_screenshot(shot)
    for i, chart in enumerate(driver.find_elements(By.CSS_SELECTOR, ".chart svg")):
        chart.screenshot(os.path.join(work, f"report-{name}-chart{i}.png"))
    print(f"{name}: {len(boxes)} labels, {len(sides)} example rows, screenshot {shot}")
    return failures


def main():
    binary = sys.argv[1]
    work = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="semdedup-report-")
    os.makedirs(work, exist_ok=True)
    demo = os.path.join(work, "demo")
    shutil.rmtree(demo, ignore_errors=True)
    run([binary, "demo", "--output", demo, "--rows", "4000", "--dim", "32", "--n-clusters", "8",
         "--quiet"])
    texts_by_id = {}
    for name in sorted(os.listdir(os.path.join(demo, "input", "data"))):
        table = pq.read_table(os.path.join(demo, "input", "data", name), columns=["id", "text"])
        texts_by_id.update(zip(table.column("id").to_pylist(), table.column("text").to_pylist()))
    pages = {"demo": os.path.join(demo, "output", "report.html")}
    crowded = os.path.join(work, "crowded.html")
    run([binary, "report", "--input", os.path.join(demo, "output"), "--eps", CROWDED_EPS,
         "--html", crowded, "--quiet"])
    pages["crowded"] = crowded

    failures = []
    driver = browser()
    try:
        for page, path in pages.items():
            for device, width in WIDTHS.items():
                failures += check_page(driver, "file://" + os.path.abspath(path), width,
                                       f"{page}-{device}", work, texts_by_id)
    finally:
        driver.quit()
    if failures:
        print("\n".join(failures), file=sys.stderr)
        print(f"pages and screenshots kept in {work}", file=sys.stderr)
        sys.exit(1)
    if len(sys.argv) <= 2:
        shutil.rmtree(work)
    print("report page: every check passed")


if __name__ == "__main__":
    main()
