#include "captive/portal_templates.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>

#include "captive/html_escape.h"

namespace tollgate::captive {
namespace {

// ---- the built-in pages ----------------------------------------------------------------
// One stylesheet inline in each page: the portal serves no other files, and a captive client
// fetching a separate stylesheet would be one more request that can fail behind the portal.
// No script at all, so the Content-Security-Policy can forbid it (portal_logic.cc).

constexpr std::string_view kHead = R"(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{title}}</title>
<style>
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:#1d2330;background:#eef1f5}
main{max-width:26rem;margin:0 auto;padding:1.5rem 1rem 3rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}
h2{font-size:1.1rem;margin:0 0 .5rem}
form,.card{background:#fff;border-radius:.75rem;padding:1.25rem;margin:0 0 1rem;
box-shadow:0 1px 3px rgba(0,0,0,.12)}
label{display:block;margin:.5rem 0 .25rem;font-weight:600}
label.check{font-weight:400;display:flex;gap:.5rem;align-items:flex-start}
input[type=text],input[type=password]{width:100%;padding:.65rem .75rem;font:inherit;
border:1px solid #b8c0cc;border-radius:.5rem}
button,.button{display:block;width:100%;margin-top:1rem;padding:.75rem;font:inherit;
font-weight:600;text-align:center;text-decoration:none;color:#fff;background:#2457c5;
border:0;border-radius:.5rem;cursor:pointer}
button.secondary{color:#2457c5;background:#e3eaf8}
.message{padding:.75rem 1rem;border-radius:.5rem;background:#fdecea;color:#8a1c12}
.terms{font-size:.9rem;color:#4a5466}
dl{display:grid;grid-template-columns:auto 1fr;gap:.35rem 1rem;margin:0}
dt{color:#4a5466}dd{margin:0;font-weight:600;overflow-wrap:anywhere}
footer{font-size:.8rem;color:#6b7484;text-align:center}
footer a{color:inherit}
</style>
</head>
<body>
<main>
<h1>{{title}}</h1>
{{#message}}<p class="message" role="alert">{{message}}</p>
{{/message}})";

constexpr std::string_view kFoot =
    R"(<footer>
{{#venue_info_url}}<p><a href="{{venue_info_url}}">About this place</a></p>{{/venue_info_url}}
{{#mac}}<p>Device {{mac}}</p>{{/mac}}
</footer>
</main>
</body>
</html>
)";

constexpr std::string_view kLoginBody = R"({{#clickthrough}}<form method="post" action="/login">
<h2>Free access</h2>
<p class="terms">By connecting you agree to use this network lawfully and considerately.
Access is provided as is, may be logged, and may end at any time.</p>
<label class="check"><input type="checkbox" name="accept" value="1" required>
<span>I accept these terms</span></label>
<input type="hidden" name="method" value="clickthrough">
<input type="hidden" name="csrf" value="{{csrf}}">
<input type="hidden" name="url" value="{{url}}">
<button type="submit">Connect</button>
</form>
{{/clickthrough}}{{#voucher}}<form method="post" action="/login">
<h2>Voucher</h2>
<label for="code">Voucher code</label>
<input type="text" id="code" name="code" value="{{code}}" autocomplete="off"
autocapitalize="characters" spellcheck="false" required>
<input type="hidden" name="method" value="voucher">
<input type="hidden" name="csrf" value="{{csrf}}">
<input type="hidden" name="url" value="{{url}}">
<button type="submit">Connect</button>
</form>
{{/voucher}}{{#accounts}}<form method="post" action="/login">
<h2>Account</h2>
<label for="user-a">User name</label>
<input type="text" id="user-a" name="username" value="{{username}}" autocomplete="username"
autocapitalize="none" spellcheck="false" required>
<label for="pass-a">Password</label>
<input type="password" id="pass-a" name="password" autocomplete="current-password" required>
<input type="hidden" name="method" value="accounts">
<input type="hidden" name="csrf" value="{{csrf}}">
<input type="hidden" name="url" value="{{url}}">
<button type="submit">Log in</button>
</form>
{{/accounts}}{{#radius}}<form method="post" action="/login">
<h2>Sign in</h2>
<label for="user-r">User name</label>
<input type="text" id="user-r" name="username" value="{{username}}" autocomplete="username"
autocapitalize="none" spellcheck="false" required>
<label for="pass-r">Password</label>
<input type="password" id="pass-r" name="password" autocomplete="current-password" required>
<input type="hidden" name="method" value="radius">
<input type="hidden" name="csrf" value="{{csrf}}">
<input type="hidden" name="url" value="{{url}}">
<button type="submit">Log in</button>
</form>
{{/radius}})";

constexpr std::string_view kStatusBody = R"(<div class="card">
<dl>
<dt>Time left</dt><dd>{{time_left}}</dd>
<dt>Until</dt><dd>{{expires_at}}</dd>
<dt>Data left</dt>
<dd>{{#data_left}}{{data_left}}{{/data_left}}{{^data_left}}No limit{{/data_left}}</dd>
<dt>Data used</dt><dd>{{data_used}}</dd>
<dt>Signed in by</dt><dd>{{method}}{{#user}} ({{user}}){{/user}}</dd>
</dl>
{{#url}}<a class="button" href="{{url}}">Continue</a>
{{/url}}</div>
<form method="post" action="/logout">
<input type="hidden" name="csrf" value="{{csrf}}">
<button type="submit" class="secondary">Log out</button>
</form>
)";

constexpr std::string_view kErrorBody = R"(<div class="card">
<p>{{#status}}Error {{status}}. {{/status}}<a href="/">Back to the login page</a></p>
</div>
)";

std::string page(std::string_view body) {
  std::string out;
  out.reserve(kHead.size() + body.size() + kFoot.size());
  out.append(kHead).append(body).append(kFoot);
  return out;
}

const std::array<std::string, 3>& builtIns() {
  static const std::array<std::string, 3> pages{page(kLoginBody), page(kStatusBody),
                                                page(kErrorBody)};
  return pages;
}

// ---- the renderer ----------------------------------------------------------------------

bool isNameChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

struct Tag {
  char sigil = 0;  // 0, '#', '^' or '/'
  std::string_view name;
  size_t end = 0;  // just past "}}"
};

// Reads the tag whose "{{" is at `at`; nullopt if it is not one (then it is plain text).
// A sigil makes it a section tag, which must be well formed: a typo there would otherwise
// print half the page's markup as text, or hide it.
std::optional<Tag> readTag(std::string_view text, size_t at) {
  size_t i = at + 2;
  Tag tag;
  if (i < text.size() && (text[i] == '#' || text[i] == '^' || text[i] == '/'))
    tag.sigil = text[i++];
  while (i < text.size() && text[i] == ' ') ++i;
  const size_t nameStart = i;
  while (i < text.size() && isNameChar(text[i])) ++i;
  tag.name = text.substr(nameStart, i - nameStart);
  while (i < text.size() && text[i] == ' ') ++i;
  if (!tag.name.empty() && text.substr(i, 2) == "}}") {
    tag.end = i + 2;
    return tag;
  }
  if (tag.sigil != 0) {
    throw std::invalid_argument(
        "malformed section tag at offset " + std::to_string(at) + ": " +
        std::string(text.substr(at, std::min<size_t>(24, text.size() - at))));
  }
  return std::nullopt;
}

// Renders text[pos..] up to the {{/closing}} that ends the current section (the whole text
// when `closing` is empty) and returns the offset just past it. Hidden sections are walked
// all the same with emit = false, so a template is checked whole whatever its values.
size_t renderRange(std::string_view text, size_t pos, std::string_view closing, int depth,
                   const TemplateValues& values, bool emit, std::string& out) {
  if (depth > kMaxTemplateDepth) {
    throw std::invalid_argument("sections nested deeper than " + std::to_string(kMaxTemplateDepth));
  }
  while (pos < text.size()) {
    const size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) break;
    if (emit) out.append(text.substr(pos, open - pos));
    const auto tag = readTag(text, open);
    if (!tag) {
      if (emit) out.append("{{");
      pos = open + 2;
      continue;
    }
    const auto it = values.find(tag->name);
    const bool present = it != values.end() && !it->second.empty();
    switch (tag->sigil) {
      case 0:
        if (emit && present) out.append(htmlEscape(it->second));
        pos = tag->end;
        break;
      case '#':
      case '^': {
        const bool shown = tag->sigil == '#' ? present : !present;
        pos = renderRange(text, tag->end, tag->name, depth + 1, values, emit && shown, out);
        break;
      }
      default:  // '/'
        if (tag->name != closing) {
          throw std::invalid_argument("{{/" + std::string(tag->name) + "}} closes no section");
        }
        return tag->end;
    }
  }
  if (!closing.empty()) {
    throw std::invalid_argument("{{#" + std::string(closing) + "}} is never closed");
  }
  if (emit && pos < text.size()) out.append(text.substr(pos));
  return text.size();
}

std::string readTemplateFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path.string() + ": open: " + std::strerror(errno));
  std::string text;
  char buffer[16384];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<size_t>(in.gcount()));
    if (text.size() > PortalTemplates::kMaxFileSize) {
      throw std::runtime_error(path.string() + ": larger than " +
                               std::to_string(PortalTemplates::kMaxFileSize) + " bytes");
    }
  }
  if (in.bad()) throw std::runtime_error(path.string() + ": read failed");
  return text;
}

size_t indexOf(PortalPage page) { return static_cast<size_t>(page); }

}  // namespace

const char* fileName(PortalPage page) {
  switch (page) {
    case PortalPage::Login: return "login.html";
    case PortalPage::Status: return "status.html";
    case PortalPage::Error: return "error.html";
  }
  return "?";
}

std::string renderTemplate(std::string_view text, const TemplateValues& values) {
  std::string out;
  out.reserve(text.size() + 256);
  renderRange(text, 0, {}, 0, values, true, out);
  return out;
}

PortalTemplates::PortalTemplates() : sources_(builtIns()) {}

PortalTemplates::PortalTemplates(const std::string& dir) : sources_(builtIns()) {
  if (dir.empty()) return;
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw std::runtime_error(dir + ": not a directory" + (ec ? ": " + ec.message() : ""));
  }
  for (PortalPage page : {PortalPage::Login, PortalPage::Status, PortalPage::Error}) {
    const fs::path path = fs::path(dir) / fileName(page);
    // Only "not there" falls back to the built-in page; a file that is there but unreadable
    // is a mistake the operator wants to hear about, not a silently different portal.
    if (!fs::exists(path, ec) && !ec) continue;
    std::string text = readTemplateFile(path);
    try {
      renderTemplate(text, {});
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(path.string() + ": " + e.what());
    }
    sources_[indexOf(page)] = std::move(text);
    overridden_[indexOf(page)] = true;
  }
}

std::string PortalTemplates::render(PortalPage page, const TemplateValues& values) const {
  return renderTemplate(sources_[indexOf(page)], values);
}

const std::string& PortalTemplates::source(PortalPage page) const {
  return sources_[indexOf(page)];
}

bool PortalTemplates::overridden(PortalPage page) const { return overridden_[indexOf(page)]; }

std::string_view PortalTemplates::builtIn(PortalPage page) { return builtIns()[indexOf(page)]; }

}  // namespace tollgate::captive
