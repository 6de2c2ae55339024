// loadList(): turns one [list.NAME] section into compiled lists. Runs on the control plane
// (start, reload): it may take seconds for millions of entries and throws FilterError.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "filters/address.h"
#include "filters/list.h"
#include "filters/lists/line_formats.h"
#include "filters/lists/line_source.h"
#include "filters/lists/set_list.h"

namespace tollgate::filters {

using namespace lists;

namespace {

using Clock = std::chrono::steady_clock;
using LineParser = void (*)(std::string_view, ParsedLine&);

constexpr size_t kMaxSkipWarnings = 10;
constexpr double kSlowMatchNs = 20'000;
constexpr const char* kFormats = "domains|hosts|adblock|ut1|urls|regex|sni_regex|cidr";

double msSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Counts skipped lines and keeps the first few as warnings, so a list with a million
// unsupported lines does not carry a million strings.
struct SkipLog {
  ListStats stats;
  void skipped(const std::string& file, int line, const std::string& why) {
    if (++stats.skipped <= kMaxSkipWarnings) {
      stats.warnings.push_back(file + ":" + std::to_string(line) + ": " + why);
    }
  }
  void finish() {
    if (stats.skipped > kMaxSkipWarnings) {
      stats.warnings.push_back(std::to_string(stats.skipped - kMaxSkipWarnings) +
                               " more skipped lines not shown");
    }
  }
};

// Reads `path` through `parse`, hands each entry to `add(entry, line)`.
template <typename Add>
void readList(const std::string& path, LineParser parse, SkipLog& log, Add&& add) {
  LineSource source(path);
  std::string_view line;
  ParsedLine parsed;
  while (source.next(line)) {
    parse(line, parsed);
    if (parsed.kind == LineKind::Skipped) {
      log.skipped(path, source.lineNumber(), parsed.why);
    } else if (parsed.kind == LineKind::Entries) {
      for (const auto& entry : parsed.entries) add(entry, source.lineNumber());
    }
  }
}

// A guess at the entry count from the file size (~20 bytes a line; gzip ~4:1), so a big
// list is not built by repeated doubling (which would briefly need twice the memory).
void reserveFor(DomainSet& set, const std::string& path) {
  std::error_code ec;
  auto bytes = static_cast<size_t>(std::filesystem::file_size(path, ec));
  if (ec) return;
  unsigned char magic[2] = {};
  if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
    if (std::fread(magic, 1, 2, f) == 2 && magic[0] == 0x1f && magic[1] == 0x8b) bytes *= 4;
    std::fclose(f);
  }
  set.reserve(bytes / 20, bytes);
}

LineParser domainParser(const std::string& format) {
  if (format == "hosts") return parseHostsLine;
  if (format == "adblock") return parseAdblockLine;
  return parseDomainsLine;
}

void loadDomains(const std::string& path, LineParser parse, ListMatchers& m, SkipLog& log) {
  if (!m.domains) m.domains = std::make_unique<DomainSet>();
  reserveFor(*m.domains, path);
  m.domains->beginFile(path);
  readList(path, parse, log, [&](const std::string& name, int line) {
    m.domains->add(name, line);
  });
}

void loadUrls(const std::string& path, ListMatchers& m, SkipLog& log) {
  if (!m.urls) m.urls = std::make_unique<UrlPrefixSet>();
  m.urls->beginFile(path);
  readList(path, parseUrlsLine, log, [&](const std::string& key, int line) {
    m.urls->add(key, line);
  });
}

void loadRegexes(const std::string& path, RegexSet& set, SkipLog& log) {
  set.beginFile(path);
  readList(path, parseRegexLine, log, [&](const std::string& p, int line) { set.add(p, line); });
}

void loadCidrs(const std::string& path, ListMatchers& m, SkipLog& log) {
  m.cidrs = std::make_unique<CidrSet>();
  m.cidrs->beginFile(path);
  readList(path, parseCidrLine, log, [&](const std::string& text, int line) {
    std::string why;
    m.cidrs->add(*parseCidr(text, why), text, line);  // parseCidrLine validated it
  });
}

// Builds the tables and fills the counters that only the finished list knows.
void finishMatchers(ListMatchers& m, ListStats& stats) {
  if (m.domains) {
    stats.duplicates += m.domains->finish();
    stats.entries += m.domains->size();
    stats.memoryBytes += m.domains->memoryBytes();
  }
  if (m.urls) {
    stats.duplicates += m.urls->finish();
    stats.entries += m.urls->size();
    stats.memoryBytes += m.urls->memoryBytes();
  }
  if (m.cidrs) {
    stats.duplicates += m.cidrs->finish();
    stats.entries += m.cidrs->size();
    stats.memoryBytes += m.cidrs->memoryBytes();
  }
  for (RegexSet* set : {m.urlRegexes.get(), m.hostRegexes.get()}) {
    if (set == nullptr) continue;
    set->compile();
    stats.entries += set->size();
    stats.memoryBytes += set->memoryBytes();
  }
}

struct Probe {
  std::string host;
  std::string url;
  const sockaddr_storage* destination = nullptr;
};

constexpr size_t kRandomProbes = 256;

// Deterministic pseudo-random labels: the probes must be the same on every load.
struct ProbeRandom {
  uint64_t state = 0x9e3779b97f4a7c15ULL;
  std::string label(size_t minLength, size_t maxLength) {
    size_t n = minLength + next() % (maxLength - minLength + 1);
    std::string s;
    for (size_t i = 0; i < n; ++i) s += "abcdefghijklmnopqrstuvwxyz0123456789-"[next() % 36];
    return s;
  }
  uint64_t next() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 33;
  }
};

// Inputs that exercise the list: a few hits built from its own entries, and many distinct
// misses, because a regex set's lazy DFA is fast on inputs it has seen and can thrash on new
// ones (each new host builds new states): a handful of repeated probes would hide exactly the
// lists that are slow in traffic (measured: 10k "(?:[a-z0-9-]+\.)*name\.tld/" patterns run
// at ~0.2 us on 10 repeated probes and ~1.4 ms on distinct hosts).
std::vector<Probe> probesFor(const SetList& list, const sockaddr_storage* v4,
                             const sockaddr_storage* v6) {
  std::vector<Probe> probes;
  const ListMatchers& m = list.matchers();
  if (m.domains && m.domains->size() > 0) {
    for (size_t i = 0; i < 4; ++i) {
      std::string host = "probe." + std::string(m.domains->key(
                                        static_cast<uint32_t>(i * m.domains->size() / 4)));
      probes.push_back({host, host + "/probe/index.html?x=1", v4});
    }
  }
  if (m.urls && m.urls->size() > 0) {
    for (size_t i = 0; i < 4; ++i) {
      std::string url(m.urls->key(static_cast<uint32_t>(i * m.urls->size() / 4)));
      probes.push_back({url.substr(0, url.find_first_of("/?")), url + "/probe?x=1", v4});
    }
  }
  probes.push_back({"a.b.c.d.e.example.org",
                    "a.b.c.d.e.example.org/" + std::string(400, 'p') + "?" +
                        std::string(100, 'q'),
                    v6});
  ProbeRandom random;
  for (size_t i = 0; i < kRandomProbes; ++i) {
    std::string host = random.label(1, 10) + "." + random.label(5, 14) + ".com";
    probes.push_back({host,
                      host + "/" + random.label(3, 8) + "/" + random.label(3, 12) +
                          ".html?q=" + random.label(5, 20),
                      i % 2 ? v4 : v6});
  }
  return probes;
}

// Times match() once on each probe, stopping early for a slow list (a thrashing regex set
// takes milliseconds per call), and turns a regex error into a load error rather than a list
// that silently never matches.
void measureMatch(SetList& list, const std::string& where) {
  sockaddr_storage v4{};
  sockaddr_storage v6{};
  v4.ss_family = AF_INET;
  inet_pton(AF_INET, "192.0.2.1", &reinterpret_cast<sockaddr_in*>(&v4)->sin_addr);
  v6.ss_family = AF_INET6;
  inet_pton(AF_INET6, "2001:db8::1", &reinterpret_cast<sockaddr_in6*>(&v6)->sin6_addr);
  std::vector<Probe> probes = probesFor(list, &v4, &v6);
  MatchError error = MatchError::None;
  auto run = [&](const Probe& p) {
    MatchInput in{p.host, p.url, p.destination, &error};
    (void)list.match(in);
    if (error != MatchError::None) {
      throw FilterError(where + ": regex set ran out of memory matching a probe input (" +
                        p.url + "); raise the per-shard max_mem or split the list");
    }
  };
  // A short warm-up, as the first requests after a reload would do.
  for (size_t i = 0; i < 8 && i < probes.size(); ++i) run(probes[i]);
  size_t calls = 0;
  auto start = Clock::now();
  for (const auto& p : probes) {
    run(p);
    ++calls;
    if ((calls & 15) == 0 && msSince(start) > 100) break;
  }
  double ns = msSince(start) * 1e6 / static_cast<double>(calls);
  list.setMatchNs(ns);
  if (ns > kSlowMatchNs) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1f", ns / 1000);
    list.addWarning(where + ": slow list: mean match " + buf + " us on " +
                    std::to_string(calls) +
                    " distinct probe inputs (over 20 us; fewer or simpler patterns?)");
  }
}

CompiledListPtr finishList(std::string name, std::string category, std::string format,
                           ListMatchers matchers, SkipLog& log, Clock::time_point start,
                           const std::string& where) {
  finishMatchers(matchers, log.stats);
  log.finish();
  if (log.stats.entries == 0) log.stats.warnings.push_back(where + ": no entries");
  auto list = std::make_shared<SetList>(std::move(name), std::move(category), std::move(format),
                                        std::move(matchers), std::move(log.stats));
  measureMatch(*list, where);
  list->setLoadMs(msSince(start));
  return list;
}

// "<dir>/<base>" or "<dir>/<base>.gz", whichever exists (the plain file when both do).
std::string ut1File(const std::filesystem::path& dir, const char* base) {
  std::error_code ec;
  for (auto name : {std::string(base), std::string(base) + ".gz"}) {
    auto p = dir / name;
    if (std::filesystem::is_regular_file(p, ec)) return p.string();
  }
  return {};
}

std::vector<CompiledListPtr> loadUt1(const ListSpec& spec, RegexSet::Options regexOptions) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(spec.path, ec)) {
    throw FilterError(spec.path + ": cannot open: " +
                      std::strerror(fs::exists(spec.path, ec) ? ENOTDIR : ENOENT));
  }
  std::vector<fs::path> categories;
  for (fs::directory_iterator it(spec.path, ec), end; !ec && it != end; it.increment(ec)) {
    // is_directory follows symlinks: UT1 aliases some categories that way.
    if (it->is_directory(ec)) categories.push_back(it->path());
  }
  if (ec) throw FilterError(spec.path + ": cannot open: " + ec.message());
  std::sort(categories.begin(), categories.end());
  std::vector<CompiledListPtr> lists;
  for (const auto& dir : categories) {
    auto start = Clock::now();
    std::string domains = ut1File(dir, "domains");
    std::string urls = ut1File(dir, "urls");
    std::string expressions = ut1File(dir, "expressions");
    if (domains.empty() && urls.empty() && expressions.empty()) continue;
    ListMatchers m;
    SkipLog log;
    if (!domains.empty()) loadDomains(domains, parseDomainsLine, m, log);
    if (!urls.empty()) loadUrls(urls, m, log);
    if (!expressions.empty()) {
      m.urlRegexes = std::make_unique<RegexSet>(regexOptions);
      loadRegexes(expressions, *m.urlRegexes, log);
    }
    std::string category = dir.filename().string();
    lists.push_back(finishList(spec.name + "/" + category, category, "ut1", std::move(m), log,
                               start, dir.string()));
  }
  if (lists.empty()) {
    throw FilterError(spec.path + ": no UT1 categories (expected <category>/domains, urls or "
                      "expressions, optionally .gz)");
  }
  return lists;
}

}  // namespace

std::vector<CompiledListPtr> loadList(const ListSpec& spec) {
  auto start = Clock::now();
  const std::string& f = spec.format;
  RegexSet::Options anchored;
  anchored.maxMemPerShard = spec.regexMaxMemPerShard;
  if (f == "ut1") {
    // UT1 expressions are squidGuard regexec() searches over a lower-cased URL.
    RegexSet::Options search = anchored;
    search.anchor = RE2::UNANCHORED;
    search.caseSensitive = false;
    return loadUt1(spec, search);
  }
  ListMatchers m;
  SkipLog log;
  if (f == "domains" || f == "hosts" || f == "adblock") {
    loadDomains(spec.path, domainParser(f), m, log);
  } else if (f == "urls") {
    loadUrls(spec.path, m, log);
  } else if (f == "regex") {
    m.urlRegexes = std::make_unique<RegexSet>(anchored);
    loadRegexes(spec.path, *m.urlRegexes, log);
  } else if (f == "sni_regex") {
    m.hostRegexes = std::make_unique<RegexSet>(anchored);
    loadRegexes(spec.path, *m.hostRegexes, log);
  } else if (f == "cidr") {
    loadCidrs(spec.path, m, log);
  } else {
    throw FilterError(spec.configFile + ":" + std::to_string(spec.configLine) +
                      ": unknown format '" + f + "' (" + kFormats + ")");
  }
  return {finishList(spec.name, spec.name, f, std::move(m), log, start, spec.path)};
}

}  // namespace tollgate::filters
