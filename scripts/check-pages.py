"""Checks the lesson pages and the explorer in a real browser (Chromium through chromedriver,
driven by Selenium). Run by Tests/LessonCLITests/BrowserTests.swift:

    check-pages.py OUTPUT LOGITS_CSV T10K_IMAGES_GZ LESSON1_STDOUT SCREENSHOTS

- every page loads with no console error, every image resolves, and no request leaves file://;
- the explorer's forward pass, run in the page on the first 20 test digits, gives
  `lesson eval --dump-logits`'s outputs within 1e-4 (relative to max(1, |value|));
- hovering the C1 unit that lesson 1 works by hand shows the same a and f(a);
- hovering each C3 map lights up exactly the S2 maps of the paper's Table I;
- a digit drawn on the pad is prepared as MNIST was and answered.
Prints one line per check; exits non-zero on the first failure.
"""
import gzip
import os
import re
import struct
import sys

from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

output, logits_csv, images_gz, lesson1_stdout, screenshots = sys.argv[1:6]

# The paper's Table I: for each C3 map, the S2 maps it reads.
TABLE_I = [
    [0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5], [0, 4, 5], [0, 1, 5],
    [0, 1, 2, 3], [1, 2, 3, 4], [2, 3, 4, 5], [0, 3, 4, 5], [0, 1, 4, 5], [0, 1, 2, 5],
    [0, 1, 3, 4], [1, 2, 4, 5], [0, 2, 3, 5], [0, 1, 2, 3, 4, 5],
]


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


options = webdriver.ChromeOptions()
for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,1600",
             "--disable-dev-shm-usage"]:
    options.add_argument(flag)
options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
service = webdriver.ChromeService(executable_path="/usr/bin/chromedriver")
driver = webdriver.Chrome(options=options, service=service)
os.makedirs(screenshots, exist_ok=True)


def load(path, shot):
    driver.get("file://" + os.path.abspath(path))
    errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    if errors:
        fail(f"{path}: console errors: {errors}")
    outside = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name).filter(n => !n.startsWith('file://'))")
    if outside:
        fail(f"{path}: requests outside file://: {outside}")
    broken = driver.execute_script(
        "return [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
    if broken:
        fail(f"{path}: images that do not load: {broken}")
    driver.save_screenshot(os.path.join(screenshots, shot))
    print(f"ok: {path} loads, no console error, no request outside file://, every image resolves")


try:
    pages = ["index.html"] if os.path.exists(os.path.join(output, "index.html")) else []
    pages += sorted(f"{d}/index.html" for d in os.listdir(output)
                    if d.startswith("lesson-") and os.path.exists(os.path.join(output, d, "index.html")))
    for page in pages:
        load(os.path.join(output, page), page.replace("/", "-").replace(".html", ".png"))

    load(os.path.join(output, "explorer", "index.html"), "explorer.png")

    # The forward pass in the page against the tool's on the first 20 test digits.
    raw = gzip.open(images_gz).read()
    count, rows, columns = struct.unpack(">III", raw[4:16])
    expected = [[float(v) for v in line.split(",")] for line in open(logits_csv).read().split()]
    worst = 0.0
    for i in range(20):
        pixels = list(raw[16 + i * rows * columns:16 + (i + 1) * rows * columns])
        got = driver.execute_script("return lenet.forward(arguments[0], arguments[1], arguments[2])",
                                    pixels, rows, columns)
        for g, e in zip(got, expected[i]):
            worst = max(worst, abs(g - e) / max(1.0, abs(e)))
        if len(got) != len(expected[i]):
            fail(f"digit {i}: {len(got)} outputs, expected {len(expected[i])}")
    if worst > 1e-4:
        fail(f"the page's forward pass differs from lesson eval --dump-logits by {worst:.2e} (relative)")
    print(f"ok: the page's forward pass matches lesson eval --dump-logits on 20 test digits "
          f"(largest relative difference {worst:.2e})")

    # Hover the unit lesson 1 works by hand.
    text = open(lesson1_stdout).read()
    m = re.search(r"Unit \((\d+), (\d+)\) of C1 map 0, by hand: a = .*? = (-?[\d.]+); "
                  r"f\(a\) = .*? = (-?[\d.]+)\.", text)
    if not m:
        fail("lesson 1 printed no worked C1 unit")
    r, c, a, fa = int(m[1]), int(m[2]), float(m[3]), float(m[4])
    canvas = driver.find_element(By.CSS_SELECTOR, 'canvas.map[data-layer="C1"][data-map="0"]')
    w, h = canvas.size["width"], canvas.size["height"]
    ActionChains(driver).move_to_element_with_offset(
        canvas, int((c + 0.5) / 28 * w - w / 2), int((r + 0.5) / 28 * h - h / 2)).perform()
    panel = driver.find_element(By.ID, "explain")
    shown = (panel.get_attribute("data-row"), panel.get_attribute("data-column"))
    if shown != (str(r), str(c)):
        fail(f"hovering C1 map 0 unit ({r}, {c}) explained unit {shown}")
    got_a, got_fa = float(panel.get_attribute("data-a")), float(panel.get_attribute("data-fa"))
    if abs(got_a - a) > 1e-4 + 1e-6 or abs(got_fa - fa) > 1e-4 + 1e-6:
        fail(f"C1 map 0 unit ({r}, {c}): the page shows a = {got_a}, f(a) = {got_fa}; lesson 1 printed {a}, {fa}")
    if "25 products" not in panel.text:
        fail("the C1 explanation does not write out the 25 products")
    print(f"ok: hovering C1 map 0 unit ({r}, {c}) shows a = {got_a:.4f}, f(a) = {got_fa:.4f}, as lesson 1 prints")

    # Every C3 map reads exactly its Table I row.
    for k, row in enumerate(TABLE_I):
        canvas = driver.find_element(By.CSS_SELECTOR, f'canvas.map[data-layer="C3"][data-map="{k}"]')
        ActionChains(driver).move_to_element(canvas).perform()
        lit = sorted(int(e.get_attribute("data-map")) for e in
                     driver.find_elements(By.CSS_SELECTOR, 'canvas.map.reads[data-layer="S2"]'))
        if lit != row:
            fail(f"hovering C3 map {k} lights S2 maps {lit}; Table I says {row}")
        field = driver.find_element(By.ID, "explain").get_attribute("data-field")
        if field != "14x14":
            fail(f"a C3 unit's receptive field in the input is shown as {field}, not 14×14")
    print("ok: hovering each of C3's 16 maps lights exactly its Table I inputs in S2, and a 14×14 field in the input")

    # Draw a digit on the pad: a vertical stroke.
    pad = driver.find_element(By.ID, "pad")
    ph = pad.size["height"]
    ActionChains(driver).move_to_element_with_offset(pad, 0, int(-ph * 0.35)).click_and_hold() \
        .move_by_offset(0, int(ph * 0.35)).move_by_offset(0, int(ph * 0.35)).release().perform()
    prepared = driver.execute_script("return lenet.prepare(document.getElementById('pad'))")
    if not prepared or len(prepared) != 784 or max(prepared) == 0:
        fail("the drawn digit was not prepared as 28×28 grey levels")
    ink_rows = [y for y in range(28) if any(prepared[y * 28:(y + 1) * 28])]
    if len(ink_rows) > 20:
        fail(f"the drawn digit spans {len(ink_rows)} rows, more than MNIST's 20×20 box")
    verdict = driver.find_element(By.ID, "verdict").text
    driver.save_screenshot(os.path.join(screenshots, "explorer-drawn.png"))
    print(f"ok: a stroke drawn on the pad became a 28×28 digit {len(ink_rows)} rows tall; the page answers {verdict}")
finally:
    driver.quit()
