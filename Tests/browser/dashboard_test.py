"""The merchant dashboard and the operator console in a real browser (Debian's Chromium through
Playwright), against the real `shroff` process that `.ci/browser` started.

Environment: SHROFF_BASE (the gateway's URL), SHROFF_MERCHANT (the JSON `shroff merchants create`
printed), SCREENSHOTS (where the PNGs go), CHROMIUM (the browser binary).
Exits non-zero on the first failed check, saying which.
"""
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from playwright.sync_api import sync_playwright

BASE = os.environ["SHROFF_BASE"]
MERCHANT = json.loads(os.environ["SHROFF_MERCHANT"])
SCREENSHOTS = os.environ.get("SCREENSHOTS", "docs/screenshots")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def check(condition, what):
    if not condition:
        print(f"FAILED: {what}", file=sys.stderr)
        sys.exit(1)
    print(f"ok: {what}")


def call(method, path, body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(BASE + path, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


class Receiver(http.server.BaseHTTPRequestHandler):
    """The merchant's webhook endpoint: answers 200 to everything."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def main():
    os.makedirs(SCREENSHOTS, exist_ok=True)
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    notify_url = f"http://127.0.0.1:{receiver.server_address[1]}/webhooks"

    # Through the API: a QR intent left PENDING, and one paid with the sandbox's helper.
    status, login = call("POST", "/mch-api/v1/authentication/login", headers={"x-client-id": MERCHANT["client_id"], "x-api-key": MERCHANT["api_key"]})
    check(status == 200, "API login")
    bearer = {"Authorization": "Bearer " + login["data"]["token"]}

    def create(merchant_order_id, amount):
        status, answer = call("POST", "/mch-api/v1/pa/payment_intents/create", {
            "amount": amount, "currency": "HKD", "merchant_order_id": merchant_order_id, "description": "Browser test",
            "notify_url": notify_url, "payment_method": {"type": "alipayhk", "alipayhk": {"flow": "csb_qrcode", "payment_method": "ALIPAYHK"}},
        }, bearer)
        check(status == 200, f"create intent {merchant_order_id}: {answer.get('message')}")
        return answer["data"]

    stamp = str(int(time.time()))
    for index, amount in enumerate(["120.00", "9.90", "42.00"]):
        other = create(f"BRW-{index}-{stamp}", amount)
        if index == 1:
            call("POST", "/mch-api/v1/pa/payment_intents/cancel", {"order_id": other["order_id"]}, bearer)
    pending = create("BRW-PENDING-" + stamp, "8.80")
    paid = create("BRW-PAID-" + stamp, "25.00")
    status, _ = call("POST", "/sandbox/v1/payments/simulate", {"payment_request_id": paid["order_id"], "outcome": "success"})
    check(status == 200, "the sandbox pays the second intent")
    for _ in range(100):
        status, answer = call("POST", "/mch-api/v1/pa/payment_intents/query", {"order_id": paid["order_id"]}, bearer)
        if answer["data"]["status"] == "SUCCEEDED":
            break
        time.sleep(0.1)
    check(answer["data"]["status"] == "SUCCEEDED", "the paid intent is SUCCEEDED")
    query_rid = answer["rid"]

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()

        # Sign in.
        page.goto(BASE + "/dashboard")
        check(page.url.endswith("/dashboard/sign-in"), "an unsigned browser is sent to the sign-in page")
        page.fill("input[name=client_id]", MERCHANT["client_id"])
        page.fill("input[name=api_key]", MERCHANT["api_key"])
        page.click("button:text('Sign in')")
        page.wait_for_url("**/dashboard/payments")
        check("Test mode" in page.content(), "signed in, with the test-mode banner")
        check(MERCHANT["api_key"] not in page.content(), "the API key is not in the page")
        cookie = next(c for c in context.cookies() if c["name"] == "shroff_dashboard")
        check(cookie["httpOnly"] and cookie["sameSite"] == "Strict", "the session cookie is HttpOnly and SameSite=Strict")
        page.screenshot(path=f"{SCREENSHOTS}/payments.png", full_page=True)

        # Search by order id, open it, see its timeline.
        page.fill("input[name=q]", paid["order_id"])
        page.click("form[role=search] button")
        rows = page.locator("tbody tr")
        check(rows.count() == 1 and paid["order_id"] in rows.first.inner_text(), "the search finds the payment by order id")
        page.click(f"a:text('{paid['order_id']}')")
        page.wait_for_url(f"**/dashboard/payments/{paid['order_id']}")
        timeline = page.locator("ol.timeline").inner_text()
        check("Created" in timeline and "SUCCEEDED" in timeline and "payment_success" in timeline, "the timeline shows creation, the status change and the webhook")
        page.wait_for_timeout(1500)
        page.reload()
        check("Delivery attempt 1" in page.locator("ol.timeline").inner_text(), "the timeline shows the delivery attempt")
        check("Provider call pay" in page.locator("ol.timeline").inner_text(), "the timeline shows the provider call")
        check("Provider notification PAYMENT_RESULT" in page.locator("ol.timeline").inner_text(), "the timeline shows the provider's notification")

        # Refund part of it.
        page.fill("input[name=amount]", "5.5")
        page.fill("input[name=reason]", "one item returned")
        page.click("button:text('Refund')")
        page.wait_for_load_state()
        check("Refund" in page.locator(".notice").inner_text(), "the partial refund is accepted")
        time.sleep(1)
        page.reload()
        check("5.5 HKD" in page.locator("ol.timeline").inner_text(), "the refund is on the timeline")
        page.screenshot(path=f"{SCREENSHOTS}/timeline.png", full_page=True)

        # Resend a webhook.
        page.locator("ol.timeline button:text('Resend')").first.click()
        page.wait_for_load_state()
        check("queued again" in page.locator(".notice").inner_text(), "the webhook is queued again")
        csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")

        # The webhooks page and the overview.
        page.goto(BASE + "/dashboard/webhooks")
        check("payment_success" in page.locator("table").inner_text(), "the webhooks page lists the deliveries")
        # The request log, searched by the rid of an API call.
        page.goto(BASE + "/dashboard/requests")
        page.fill("input[name=rid]", query_rid)
        page.click("form[role=search] button")
        rows = page.locator("tbody tr")
        check(rows.count() == 1 and query_rid in rows.first.inner_text(), "the request log finds an API call by its rid")
        rows.first.locator("a").click()
        check("Answer body" in page.content() and "SUCCEEDED" in page.locator("#answer-body").inner_text(), "a request's page shows its answer body")

        page.goto(BASE + "/dashboard")
        check(page.locator("svg.chart").count() == 2 and "Success rate" in page.content(), "the overview shows its numbers and charts")
        page.screenshot(path=f"{SCREENSHOTS}/overview.png", full_page=True)

        # The pending intent's QR code, decoded by zbarimg, is its code value.
        page.goto(f"{BASE}/dashboard/payments/{pending['order_id']}")
        check(page.locator("#qr-code img").count() == 1, "the QR code is on the page")
        image = page.request.get(f"{BASE}/dashboard/payments/{pending['order_id']}/qr.png")
        check(image.status == 200 and image.headers["content-type"] == "image/png", "the QR image is served to the session")
        with tempfile.NamedTemporaryFile(suffix=".png") as png:
            png.write(image.body())
            png.flush()
            decoded = subprocess.run(["zbarimg", "--raw", "-q", png.name], capture_output=True, text=True).stdout.strip()
        check(decoded == pending["next_action"]["url"], f"zbarimg reads the intent's code value ({decoded!r})")

        # The sandbox's in-store page shows the same code.
        shopper = context.new_page()
        shopper.goto(pending["next_action"]["url"])
        check(shopper.locator("#qr-code svg").count() == 1, "the sandbox's QR page shows a QR code")
        shopper.screenshot(path=f"{SCREENSHOTS}/qr-page.png", full_page=True)
        shopper.close()

        # A form posted from another site is refused, even to the sign-in page.
        cross = page.request.post(f"{BASE}/dashboard/sign-in", form={"client_id": MERCHANT["client_id"], "api_key": MERCHANT["api_key"]},
                                  headers={"Origin": "https://evil.example"})
        check(cross.status == 403, "a form posted from another site is refused (403)")

        # A POST without the CSRF token is refused.
        forged = page.request.post(f"{BASE}/dashboard/payments/{pending['order_id']}/cancel", form={"x": "1"})
        check(forged.status == 403, "a POST without the CSRF token is refused (403)")
        status, answer = call("POST", "/mch-api/v1/pa/payment_intents/query", {"order_id": pending["order_id"]}, bearer)
        check(answer["data"]["status"] == "PENDING", "and it changed nothing")

        # On a phone's width nothing overflows the page (wide tables scroll inside their box).
        page.set_viewport_size({"width": 390, "height": 844})
        for path in ["/dashboard", "/dashboard/payments", f"/dashboard/payments/{paid['order_id']}", "/dashboard/webhooks", "/dashboard/requests"]:
            page.goto(BASE + path)
            width = page.evaluate("document.documentElement.scrollWidth")
            check(width <= 390, f"{path} fits a phone's width ({width}px)")
        page.set_viewport_size({"width": 1280, "height": 900})

        # The operator console refuses the merchant's session.
        refused = page.goto(BASE + "/operator")
        check(refused.status == 403, "/operator refuses the merchant's session (403)")

        # Sign out; the old cookie and token open nothing.
        page.goto(BASE + "/dashboard/payments")
        page.click("button:text('Sign out')")
        page.wait_for_url("**/dashboard/sign-in")
        context.add_cookies([cookie])
        after = page.request.post(f"{BASE}/dashboard/payments/{pending['order_id']}/cancel", form={"csrf_token": csrf})
        check(after.status == 403, "a POST after sign-out is refused (403), even with the old cookie and token")
        page.goto(BASE + "/dashboard/payments")
        check(page.url.endswith("/dashboard/sign-in"), "after sign-out the pages need a new sign-in")

        # The operator console, with its own token, in a browser of its own.
        operator = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        operator.goto(BASE + "/operator")
        operator.fill("input[name=operator_token]", MERCHANT["api_key"])
        operator.click("button:text('Sign in')")
        check("wrong operator token" in operator.content(), "a merchant's API key does not open the operator console")
        operator.fill("input[name=operator_token]", os.environ["SHROFF_OPERATOR_TOKEN"])
        operator.click("button:text('Sign in')")
        operator.wait_for_url("**/operator")
        check(MERCHANT["client_id"] in operator.content(), "the operator console lists the merchants")
        check(os.environ["SHROFF_OPERATOR_TOKEN"] not in operator.content(), "the operator token is not in the page")
        operator.screenshot(path=f"{SCREENSHOTS}/operator.png", full_page=True)
        browser.close()
    receiver.shutdown()
    print("browser test passed")


if __name__ == "__main__":
    main()
