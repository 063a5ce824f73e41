'use strict';
// Shared set-up for the end-to-end checks of a running Dateline server.
//
// DATELINE_URL (required) is the server under test, e.g. http://127.0.0.1:41234.
// CHROMIUM (optional) is the browser binary; Debian's chromium by default. Nothing here downloads a
// browser: playwright-core only drives the one installed on the machine.
// DATELINE_ARTIFACTS_DIR (optional) is where screenshots go; <repo>/target/browser-artifacts by default.

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const BASE = (process.env.DATELINE_URL || '').replace(/\/+$/, '');
if (!BASE) {
  throw new Error('DATELINE_URL is not set: start `dateline serve` and point DATELINE_URL at it (scripts/test does both)');
}
const ORIGIN = new URL(BASE).origin;

// The demo newsroom's lead story; every page-level check starts from it.
const REFERENCE_ARTICLE = '/politics/trump-invites-colombias-gustavo-petro-to-white-house-after-confrontation';
const REFERENCE_HEADLINE = 'Trump Invites Colombia’s Gustavo Petro to White House After Confrontation';

// The reader-facing page types, each at one demo URL. Built on first use, because the discussion's
// URL is read from the running server.
const pageList = () => [
  { name: 'article', path: REFERENCE_ARTICLE },
  { name: 'front', path: '/' },
  { name: 'section', path: '/politics' },
  { name: 'author', path: '/authors/james-thompson' },
  { name: 'search', path: '/search?q=Colombia' },
  { name: 'corrected-article', path: '/politics/early-turnout-climbs-in-brennan-falls-mayors-race' },
  { name: 'live', path: '/politics/brennan-falls-votes-live-results' },
  { name: 'live-ended', path: '/world/reactions-to-trumps-invitation-to-petro-live' },
  { name: 'corrections', path: '/corrections' },
  { name: 'tips', path: '/tips' },
  { name: 'tips-follow-up', path: '/tips/follow-up' },
  { name: 'discussion', path: referenceDiscussionPath() },
  { name: 'discussion-thread', path: '/discussion/comment/1' },
  { name: 'reader-sign-up', path: '/readers/sign-up' },
  { name: 'reader-sign-in', path: '/readers/sign-in' },
];

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// Flags that keep Chromium from talking to anything but the server under test: this machine's
// network is closed, and a browser that phones home produces noise and slow starts.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

const ARTIFACTS = process.env.DATELINE_ARTIFACTS_DIR
  || path.resolve(__dirname, '..', '..', '..', 'target', 'browser-artifacts');

/** Launches Debian's Chromium with a fresh, empty profile (removed on close). */
async function launchBrowser() {
  const { chromium } = require('playwright-core');
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install chromium) or set CHROMIUM`);
  }
  // launchPersistentContext would tie us to one context; launch() gives every run its own new
  // temporary --user-data-dir, which is what we want (a fresh profile, no state between runs).
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, timeout: 60_000 });
}

function url(p) {
  return BASE + p;
}

/**
 * Signs the end-to-end editor (DATELINE_E2E_EDITOR_EMAIL and _PASSWORD, which scripts/test makes)
 * in to the newsroom in a browser context; returns the page, on the dashboard.
 */
async function signInEditor(context) {
  const page = await context.newPage();
  await page.goto(url('/newsroom/login'), { waitUntil: 'load' });
  await page.locator('#email').fill(process.env.DATELINE_E2E_EDITOR_EMAIL);
  await page.locator('#password').fill(process.env.DATELINE_E2E_EDITOR_PASSWORD);
  await Promise.all([page.waitForURL(/\/newsroom\/?$/), page.locator('#password').press('Enter')]);
  return page;
}

/**
 * The lead story's discussion page, as its "Join the discussion" link names it: the article id in
 * it depends on how many articles the demo creates, so it is read from the page. Synchronous (a
 * child node process fetches the page) because test files define their tests from PAGES as they load.
 */
function referenceDiscussionPath() {
  const fetchPage = 'fetch(process.argv[1]).then(async (r) => { if (!r.ok) { throw new Error(`HTTP ${r.status}`); } process.stdout.write(await r.text()); })';
  const html = execFileSync(process.execPath, ['-e', fetchPage, url(REFERENCE_ARTICLE)], { encoding: 'utf8', timeout: 30_000 });
  const link = html.match(/class="discussion-join"><a href="(\/discussion\/\d+)#comment-form"/);
  if (!link) {
    throw new Error(`${REFERENCE_ARTICLE} has no "Join the discussion" link to /discussion/<id>`);
  }
  return link[1];
}

let pages;

function tmpDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Text compared loosely: case, runs of white space and curly vs straight quotes do not matter. */
function loose(s) {
  return String(s).replace(/[\u2018\u2019]/g, "'").replace(/[\u201c\u201d]/g, '"').replace(/\s+/g, ' ').trim().toLowerCase();
}

/** Formats a list for a failure message, one item a line. */
function lines(items) {
  return items.map((s) => `  - ${s}`).join('\n');
}

module.exports = {
  BASE, ORIGIN, REFERENCE_ARTICLE, REFERENCE_HEADLINE, CHROMIUM, ARTIFACTS,
  launchBrowser, url, tmpDir, lines, loose, signInEditor,
  // Only the test files that use the page list ask the server for it.
  get PAGES() {
    pages ??= pageList();
    return pages;
  },
};
