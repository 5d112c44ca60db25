#!/bin/sh
# Starts Alertmanager with the webhook URLs from the environment in place of the placeholders
# in alertmanager.yml. Alertmanager expands no environment variables in its configuration, and
# webhook url_file is newer than Debian's Alertmanager (0.25), which the tests run, so the URL
# is written into a rendered copy. Arguments are passed on to Alertmanager.
set -eu

src=${ALERTMANAGER_CONFIG:-/etc/alertmanager/alertmanager.yml}
out=${ALERTMANAGER_RENDERED:-/alertmanager/alertmanager.yml}
page=${ALERTMANAGER_PAGE_WEBHOOK_URL:-}
ticket=${ALERTMANAGER_TICKET_WEBHOOK_URL:-$page}

check_url() {
    case "$2" in
        http://* | https://*) ;;
        *) echo "alertmanager: $1 must be an http:// or https:// URL" >&2; exit 2 ;;
    esac
    case "$2" in
        *\"* | *\\* | *" "*) echo "alertmanager: $1 must not contain quotes, backslashes or spaces" >&2; exit 2 ;;
    esac
}

if [ -z "$page" ]; then
    echo "alertmanager: ALERTMANAGER_PAGE_WEBHOOK_URL is not set: alerts page no one" \
        "(see docs/runbook.md#paging)" >&2
else
    check_url ALERTMANAGER_PAGE_WEBHOOK_URL "$page"
    check_url ALERTMANAGER_TICKET_WEBHOOK_URL "$ticket"
fi

# index/substr, not sub(): a URL's "&" would mean "the match" in a sub() replacement.
PAGE_URL="$page" TICKET_URL="$ticket" awk '
    function swap(line, from, to,    at) {
        at = index(line, from)
        if (to == "" || at == 0) return line
        return substr(line, 1, at - 1) to substr(line, at + length(from))
    }
    {
        line = swap($0, "http://page-webhook.invalid/", ENVIRON["PAGE_URL"])
        print swap(line, "http://ticket-webhook.invalid/", ENVIRON["TICKET_URL"])
    }
' "$src" > "$out"

exec "${ALERTMANAGER_BIN:-/bin/alertmanager}" --config.file="$out" "$@"
