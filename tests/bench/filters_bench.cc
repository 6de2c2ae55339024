// filters_bench: the filter part of `make bench`. Generates big lists deterministically (a fixed
// seed: every run loads the same files), builds a PolicyEngine over them and measures what the
// issue asks: load time, memory, single-thread lookups/s. Nothing is asserted; targets are
// printed as met/MISSED and the exit status is 0 unless the program itself fails.
//
//   filters_bench                    1,000,000 domains + 100,000 URL prefixes + 10,000 regexes
//   filters_bench --small            10,000 + 1,000 + 100, short timings (a quick check)
//   filters_bench --write-lists DIR  only write domains.txt, urls.txt, regex.txt into DIR
//                                    (tests/bench/run loads them into tollgated)
//   filters_bench --keep DIR         measure, generating into DIR (kept) instead of a temp dir
//
// Lists are written to disk and loaded through loadList(), the daemon's own path (file reading,
// parsing, normalisation, dedup, the load-time probe), so the load figure is what a reload costs.
// Only samples of the generated names stay in memory, so RSS before/after is the engine's.
#include <malloc.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "filters/engine.h"
#include "filters/list.h"
#include "filters/policy_spec.h"

namespace {

using namespace tollgate::filters;
using SteadyClock = std::chrono::steady_clock;

double secondsSince(SteadyClock::time_point t0) {
  return std::chrono::duration<double>(SteadyClock::now() - t0).count();
}

// VmRSS of this process in KiB.
long vmRssKb() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return -1;
  char line[256];
  long kb = -1;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, "VmRSS:", 6) == 0) kb = std::strtol(line + 6, nullptr, 10);
  }
  std::fclose(f);
  return kb;
}

// splitmix64: deterministic, fast, good enough for names.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint32_t below(uint32_t n) { return static_cast<uint32_t>(next() % n); }
  bool percent(uint32_t p) { return below(100) < p; }
  template <typename T, size_t N>
  const T& pick(const T (&a)[N]) { return a[below(N)]; }

 private:
  uint64_t s_;
};

// ---- name generation --------------------------------------------------------------------

// ~40 gTLDs, ~150 ccTLDs, ~60 second-level public suffixes; .com is drawn far more often.
constexpr const char* kGeneric[] = {
    "com", "net", "org", "info", "biz", "io", "co", "app", "dev", "xyz", "online", "site",
    "top", "club", "shop", "store", "tech", "live", "pro", "me", "tv", "cc", "ws", "name",
    "mobi", "asia", "eu", "us", "click", "link", "space", "website", "fun", "icu", "vip",
    "win", "bid", "loan", "work", "cloud", "media", "news"};
constexpr const char* kCountry =
    "ac ad ae af ag al am ao ar as at au aw az ba bb bd be bf bg bh bi bj bm bn bo br bs bt bw "
    "by bz ca cd cf cg ch ci ck cl cm cn cr cu cv cy cz de dj dk dm do dz ec ee eg es et fi fj "
    "fm fo fr ga gd ge gg gh gi gl gm gn gr gt gy hk hn hr ht hu id ie il im in iq ir is it je "
    "jm jo jp ke kg kh ki km kr kw ky kz la lb lc li lk lr ls lt lu lv ly ma mc md mg mk ml mm "
    "mn mo mr ms mt mu mv mw mx my mz na nc ne nf ng ni nl no np nr nu nz om pa pe pg ph pk pl "
    "pn pr ps pt pw py qa re ro rs ru rw sa sb sc sd se sg sh si sk sl sm sn so sr st sv sy sz "
    "tc td tg th tj tk tl tm tn to tr tt tw tz ua ug uk uy uz vc ve vg vi vn vu ws ye za zm zw";
constexpr const char* kSecondLevel[] = {
    "co.uk", "org.uk", "ac.uk", "gov.uk", "me.uk", "com.au", "net.au", "org.au", "edu.au",
    "co.jp", "ne.jp", "or.jp", "ac.jp", "com.br", "net.br", "org.br", "com.cn", "net.cn",
    "org.cn", "co.in", "net.in", "org.in", "co.za", "org.za", "com.mx", "org.mx", "com.ar",
    "com.tr", "org.tr", "co.kr", "or.kr", "co.nz", "org.nz", "com.sg", "com.my", "co.id",
    "or.id", "com.ua", "org.ua", "com.pl", "net.pl", "com.ru", "org.ru", "com.tw", "org.tw",
    "com.hk", "com.vn", "com.ph", "com.pk", "com.eg", "com.sa", "com.co", "com.pe", "com.ve",
    "co.il", "org.il", "co.th", "in.th", "com.ng", "co.ke"};
// Labels that trackers and ad servers use in front of their domains.
constexpr const char* kSubLabels[] = {
    "www", "ads", "ad", "track", "tracker", "pixel", "metrics", "stats", "analytics", "cdn",
    "static", "img", "images", "media", "api", "click", "clk", "log", "beacon", "tag", "s",
    "m", "mobile", "go", "t", "e", "srv", "data", "collect", "events", "promo", "banner"};
constexpr const char* kRegexWords[] = {
    "ads", "ad", "adserver", "banner", "banners", "track", "tracker", "tracking", "pixel",
    "metrics", "stats", "analytics", "click", "clk", "promo", "popup", "beacon", "tag",
    "telemetry", "log", "collect", "count", "counter", "sponsor", "affiliate", "aff", "adx",
    "rtb", "bid", "sync", "match", "imp", "view", "event"};
constexpr const char* kPathWords[] = {
    "ads", "ad", "banner", "track", "pixel", "p", "js", "img", "static", "assets", "api",
    "v1", "v2", "collect", "event", "click", "redirect", "r", "out", "go", "serve", "tag",
    "tags", "sync", "beacon", "stats", "promo", "widget", "embed", "media", "content", "news",
    "article", "video", "user", "search", "cart", "index.html", "main.js", "app.css"};

class NameGen {
 public:
  explicit NameGen(uint64_t seed) : rng_(seed) {
    for (const char* g : kGeneric) suffixes_.emplace_back(g);
    std::string_view cc = kCountry;
    while (!cc.empty()) {
      size_t sp = cc.find(' ');
      suffixes_.emplace_back(cc.substr(0, sp));
      if (sp == std::string_view::npos) break;
      cc.remove_prefix(sp + 1);
    }
    for (const char* s : kSecondLevel) suffixes_.emplace_back(s);
  }
  Rng& rng() { return rng_; }
  size_t suffixCount() const { return suffixes_.size(); }

  // 3-15 chars of [a-z0-9-]: mostly letters, some digits, an inner hyphen now and then.
  std::string label(uint32_t minLen = 3, uint32_t maxLen = 15) {
    uint32_t n = minLen + rng_.below(maxLen - minLen + 1);
    std::string s(n, 'a');
    for (uint32_t i = 0; i < n; ++i) {
      uint32_t r = rng_.below(100);
      s[i] = r < 88 ? static_cast<char>('a' + rng_.below(26)) : static_cast<char>('0' + rng_.below(10));
    }
    if (n >= 7 && rng_.percent(8)) s[1 + rng_.below(n - 2)] = '-';
    return s;
  }
  // .com 35%, the other gTLDs 25%, ccTLDs 25%, second-level suffixes 15%.
  const std::string& suffix() {
    uint32_t r = rng_.below(100);
    if (r < 35) return suffixes_[0];
    if (r < 60) return suffixes_[1 + rng_.below(std::size(kGeneric) - 1)];
    size_t countries = suffixes_.size() - std::size(kGeneric) - std::size(kSecondLevel);
    if (r < 85) return suffixes_[std::size(kGeneric) + rng_.below(static_cast<uint32_t>(countries))];
    return suffixes_[suffixes_.size() - std::size(kSecondLevel) + rng_.below(std::size(kSecondLevel))];
  }
  // A registrable name, e.g. "k3nfqa.co.uk".
  std::string registrable() { return label() + "." + suffix(); }
  // A list entry: the registrable name, 20% with one label in front, 5% with two.
  std::string listDomain() {
    std::string d = registrable();
    uint32_t r = rng_.below(100);
    if (r < 25) d = subLabel() + "." + d;
    if (r < 5) d = subLabel() + "." + d;
    return d;
  }
  std::string subLabel() {
    return rng_.percent(70) ? std::string(rng_.pick(kSubLabels)) : label(1, 10);
  }
  // What a client asks for under `base`: 0-3 labels in front (30/40/20/10%).
  std::string clientHost(const std::string& base) {
    uint32_t r = rng_.below(100);
    int depth = r < 30 ? 0 : r < 70 ? 1 : r < 90 ? 2 : 3;
    std::string h = base;
    for (int i = 0; i < depth; ++i) h = subLabel() + "." + h;
    return h;
  }
  // "/a/b/c.js" with 1-4 segments, sometimes a query.
  std::string path() {
    std::string p;
    int segs = 1 + static_cast<int>(rng_.below(4));
    for (int i = 0; i < segs; ++i) {
      p += '/';
      p += rng_.percent(60) ? std::string(rng_.pick(kPathWords)) : label(2, 12);
    }
    if (rng_.percent(30)) p += "?id=" + std::to_string(rng_.below(100000)) + "&ref=" + label(3, 8);
    return p;
  }

 private:
  Rng rng_;
  std::vector<std::string> suffixes_;
};

std::string escapeDots(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '.') out += '\\';
    out += c;
  }
  return out;
}

// ---- the lists --------------------------------------------------------------------------

struct Sizes {
  size_t domains;
  size_t urls;
  size_t regexes;
};

// Kept from generation: list entries (for hits) and URLs that a regex matches.
struct Samples {
  std::vector<std::string> domains;     // entries of domains.txt
  std::vector<std::string> urlEntries;  // entries of urls.txt ("host/path")
  std::vector<std::string> regexUrls;   // "host/path" inputs that some regex matches
};

struct ListFiles {
  std::string domains, urls, regex;
};

constexpr size_t kSamples = 20000;

// One regex of a realistic shape (anchored at the start of "host/path?query"; no leading .*),
// and, in *hit, an input it matches (empty for host-only SNI patterns ending in '$').
std::string makeRegex(NameGen& g, std::string* hit) {
  Rng& r = g.rng();
  std::string w = r.pick(kRegexWords);
  std::string l = g.label(4, 12);
  std::string tld = g.suffix();
  std::string p = r.pick(kPathWords);
  std::string n = std::to_string(r.below(100));
  switch (r.below(7)) {
    case 0:  // any subdomain of wN.labelN.tld
      *hit = "x1." + w + n + "." + l + n + "." + tld + "/" + p;
      return "^([a-z0-9-]+\\.)*" + w + "[0-9]*\\." + l + "[0-9]+\\." + escapeDots(tld) + "/";
    case 1:  // a path on a site and its subdomains
      *hit = "www." + l + "." + tld + "/" + p + "/x.js";
      return "^([a-z0-9-]+\\.)?" + escapeDots(l + "." + tld) + "/" + p + "/";
    case 2:  // numbered ad servers
      *hit = w + n + "." + l + "." + tld + "/";
      return "^" + w + "[0-9]{1,3}\\." + escapeDots(l + "." + tld) + "/";
    case 3:  // a path word on any host of a label under the big gTLDs
      *hit = "cdn." + l + ".net/" + p + "?id=1";
      return "^[a-z0-9.-]*\\." + l + "\\.(com|net|org)/" + p + "(/|\\?|$)";
    case 4:  // tracking query on a site's scripts and images
      *hit = "s." + l + "." + tld + "/a/b.gif?" + w + "=1";
      return "^([a-z0-9-]+\\.)*" + escapeDots(l + "." + tld) + "/[^?]*\\.(js|gif|png)\\?([^#]*&)?" +
             w + "=";
    case 5:  // generated hostnames: label + digits + hyphenated suffix
      *hit = l + "-" + n + "." + w + "." + tld + "/";
      return "^" + l + "-[0-9]+\\." + w + "\\." + escapeDots(tld) + "/";
    default:  // SNI style, host only (matches a TLS flow, never an HTTP URL)
      hit->clear();
      return "^([a-z0-9-]+\\.)*" + w + "-?" + l + "[0-9]*\\." + escapeDots(tld) + "$";
  }
}

// Writes the three lists into `dir`; keeps every (N / kSamples)-th entry in `samples`.
ListFiles writeLists(const std::string& dir, const Sizes& sizes, Samples* samples) {
  std::filesystem::create_directories(dir);
  ListFiles files{dir + "/domains.txt", dir + "/urls.txt", dir + "/regex.txt"};
  NameGen g(0x70116a7e);
  auto open = [](const std::string& path) {
    std::ofstream out(path, std::ios::trunc);
    if (!out) throw std::runtime_error("open(" + path + "): " + std::strerror(errno));
    out << "# generated by filters_bench (deterministic)\n";
    return out;
  };
  {
    std::ofstream out = open(files.domains);
    size_t every = std::max<size_t>(1, sizes.domains / kSamples);
    for (size_t i = 0; i < sizes.domains; ++i) {
      std::string d = g.listDomain();
      out << d << '\n';
      if (samples && i % every == 0) samples->domains.push_back(std::move(d));
    }
  }
  {
    std::ofstream out = open(files.urls);
    size_t every = std::max<size_t>(1, sizes.urls / kSamples);
    for (size_t i = 0; i < sizes.urls; ++i) {
      // host/path, 1-3 segments, no query; a tenth with a "www." the loader drops
      std::string host = g.clientHost(g.registrable());
      std::string u = host;
      int segs = 1 + static_cast<int>(g.rng().below(3));
      for (int s = 0; s < segs; ++s) {
        u += '/';
        u += g.rng().percent(50) ? std::string(g.rng().pick(kPathWords)) : g.label(2, 10);
      }
      out << (g.rng().percent(10) ? "http://" : "") << u << '\n';
      if (samples && i % every == 0) samples->urlEntries.push_back(std::move(u));
    }
  }
  {
    std::ofstream out = open(files.regex);
    for (size_t i = 0; i < sizes.regexes; ++i) {
      std::string hit;
      out << makeRegex(g, &hit) << '\n';
      if (samples && !hit.empty()) samples->regexUrls.push_back(std::move(hit));
    }
  }
  return files;
}

// ---- measuring --------------------------------------------------------------------------

// Calls f(i) over a ring of inputs for about `seconds` (one warm-up pass first, itself cut at
// `seconds`: a thrashing list can take milliseconds per call); returns calls/s.
template <typename F>
double rate(double seconds, size_t inputs, F&& f) {
  auto w0 = SteadyClock::now();
  for (size_t i = 0; i < inputs; ++i) {
    f(i);
    if (i % 64 == 63 && secondsSince(w0) > seconds) break;
  }
  size_t calls = 0;
  auto t0 = SteadyClock::now();
  double elapsed = 0;
  size_t i = 0;
  while (elapsed < seconds) {
    for (int b = 0; b < 64; ++b) {
      f(i);
      if (++i == inputs) i = 0;
    }
    calls += 64;
    elapsed = secondsSince(t0);
  }
  return static_cast<double>(calls) / elapsed;
}

struct Row {
  std::string what;
  std::string value;
  std::string target;
  int met;  // 1 met, 0 missed, -1 no target
};

void printTable(const std::vector<Row>& rows) {
  std::printf("\n%-58s %18s  %-12s %s\n", "measure", "value", "target", "");
  for (const Row& r : rows) {
    std::printf("%-58s %18s  %-12s %s\n", r.what.c_str(), r.value.c_str(), r.target.c_str(),
                r.met < 0 ? "" : r.met ? "met" : "MISSED");
  }
}

// Lookups per second, readable from 1/s to G/s.
std::string perSecond(double v) {
  char buf[64];
  if (v >= 1e5) std::snprintf(buf, sizeof buf, "%.2f M/s", v / 1e6);
  else std::snprintf(buf, sizeof buf, "%.2f k/s", v / 1e3);
  return buf;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

int usage() {
  std::fprintf(stderr,
               "usage: filters_bench [--small] [--keep DIR] [--seconds S]\n"
               "       filters_bench [--small] --write-lists DIR\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  bool small = false;
  std::string writeDir, keepDir;
  double seconds = -1;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--small") {
      small = true;
    } else if (a == "--write-lists" && i + 1 < argc) {
      writeDir = argv[++i];
    } else if (a == "--keep" && i + 1 < argc) {
      keepDir = argv[++i];
    } else if (a == "--seconds" && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else {
      return usage();
    }
  }
  const Sizes sizes = small ? Sizes{10'000, 1'000, 100} : Sizes{1'000'000, 100'000, 10'000};
  if (seconds <= 0) seconds = small ? 0.3 : 2.0;

  try {
    if (!writeDir.empty()) {
      auto t0 = SteadyClock::now();
      ListFiles f = writeLists(writeDir, sizes, nullptr);
      std::printf("wrote %s (%zu domains), %s (%zu URL prefixes), %s (%zu regexes) in %.2f s\n",
                  f.domains.c_str(), sizes.domains, f.urls.c_str(), sizes.urls, f.regex.c_str(),
                  sizes.regexes, secondsSince(t0));
      return 0;
    }

    std::string dir = keepDir;
    if (dir.empty()) {
      char tmpl[] = "/tmp/filters_bench.XXXXXX";
      if (mkdtemp(tmpl) == nullptr) throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
      dir = tmpl;
    }
    std::printf("filters_bench: %zu domains, %zu URL prefixes, %zu regexes (seed fixed), %.1f s "
                "per lookup test, 1 thread\n", sizes.domains, sizes.urls, sizes.regexes, seconds);

    // Generate and write; only samples stay in memory.
    auto tg = SteadyClock::now();
    Samples samples;
    ListFiles files = writeLists(dir, sizes, &samples);
    auto fileMb = [](const std::string& p) {
      return static_cast<double>(std::filesystem::file_size(p)) / 1e6;
    };
    std::printf("generated in %.2f s into %s: domains.txt %.1f MB, urls.txt %.1f MB, regex.txt "
                "%.2f MB\n", secondsSince(tg), dir.c_str(), fileMb(files.domains),
                fileMb(files.urls), fileMb(files.regex));

    // Build the engine as the daemon does, timing each list through the loader hook.
    PolicySpec spec;
    spec.lists = {{"domains", "domains", files.domains, "filters_bench", 1},
                  {"urls", "urls", files.urls, "filters_bench", 2},
                  {"regex", "regex", files.regex, "filters_bench", 3}};
    GroupSpec group;
    group.name = "default";
    group.rules = "block domains; block urls; block regex";
    group.defaultAction = "allow";
    group.configFile = "filters_bench";
    group.configLine = 4;
    spec.groups.push_back(group);
    std::vector<std::pair<std::string, double>> loadSeconds;
    ListLoader timedLoader = [&](const ListSpec& ls) {
      auto t0 = SteadyClock::now();
      auto lists = loadList(ls);
      loadSeconds.emplace_back(ls.name, secondsSince(t0));
      return lists;
    };
    malloc_trim(0);
    const long rss0 = vmRssKb();
    auto t0 = SteadyClock::now();
    PolicyEnginePtr engine = buildPolicyEngine(spec, [] { return int64_t{1700000000}; }, timedLoader);
    const double loadTotal = secondsSince(t0);
    const long rss1 = vmRssKb();

    std::printf("\nload (buildPolicyEngine wall clock, per list through the loader):\n");
    std::printf("  %-8s %9s %9s %10s %10s %12s %10s\n", "list", "entries", "dups", "skipped",
                "load s", "est. MiB", "probe ns");
    for (const ListReport& r : engine->lists()) {
      double s = 0;
      for (auto& [name, sec] : loadSeconds) if (name == r.section) s = sec;
      std::printf("  %-8s %9zu %9zu %10zu %10.3f %12.1f %10.0f\n", r.name.c_str(),
                  r.stats.entries, r.stats.duplicates, r.stats.skipped, s,
                  static_cast<double>(r.stats.memoryBytes) / 1048576.0, r.stats.matchNs);
      for (const std::string& w : r.stats.warnings) std::printf("    warning: %s\n", w.c_str());
    }
    std::printf("  total %.3f s; VmRSS %ld kB before, %ld kB after: +%.1f MiB\n", loadTotal, rss0,
                rss1, static_cast<double>(rss1 - rss0) / 1024.0);

    // The engine's own compiled lists, reached through their rules ("block domains", ...).
    const CompiledList* domainList = nullptr;
    const CompiledList* urlList = nullptr;
    const CompiledList* regexList = nullptr;
    for (const Group& gr : engine->groups().groups()) {
      for (const Rule& rule : gr.rules) {
        const CompiledList* l = rule.lists.at(0).get();
        if (rule.word == "domains") domainList = l;
        if (rule.word == "urls") urlList = l;
        if (rule.word == "regex") regexList = l;
      }
    }
    if (!domainList || !urlList || !regexList) throw std::runtime_error("engine lacks a rule");

    // (a) the domain list alone: 25% hits (an entry, 0-3 labels in front), 75% misses (fresh
    // names of the same shape, same suffixes).
    NameGen q(0xbe7c4);
    constexpr size_t kInputs = 65536;
    std::vector<std::string> hosts;
    for (size_t i = 0; i < kInputs; ++i) {
      if (q.rng().percent(25)) {
        hosts.push_back(q.clientHost(samples.domains[q.rng().below(samples.domains.size())]));
      } else {
        hosts.push_back(q.clientHost(q.registrable()));
      }
    }
    size_t domainHits = 0, depthSum = 0;
    for (const auto& h : hosts) {
      domainHits += domainList->find(MatchInput{h, {}, nullptr}).has_value();
      depthSum += static_cast<size_t>(std::count(h.begin(), h.end(), '.')) + 1;
    }
    size_t sink = 0;
    const double domainRate = rate(seconds, hosts.size(), [&](size_t i) {
      sink += domainList->find(MatchInput{hosts[i], {}, nullptr}).has_value();
    });

    // (b) decide() for HTTP requests: 85% generated to pass (every list consulted, the usual
    // case), 5% built to hit each list. (b') the passing ones alone.
    sockaddr_storage client{}, dest{};
    client.ss_family = AF_INET;
    inet_pton(AF_INET, "10.77.1.2", &reinterpret_cast<sockaddr_in*>(&client)->sin_addr);
    dest.ss_family = AF_INET;
    inet_pton(AF_INET, "198.51.100.7", &reinterpret_cast<sockaddr_in*>(&dest)->sin_addr);
    struct Req {
      std::string host, url;
    };
    std::vector<Req> mixed, passing;
    for (size_t i = 0; i < kInputs; ++i) {
      uint32_t r = q.rng().below(100);
      std::string hostPath;
      if (r < 5) {
        hostPath = q.clientHost(samples.domains[q.rng().below(samples.domains.size())]) + q.path();
      } else if (r < 10) {
        const std::string& e = samples.urlEntries[q.rng().below(samples.urlEntries.size())];
        hostPath = e + (q.rng().percent(50) ? "/" + q.label(2, 8) + ".html" : "");
      } else if (r < 15 && !samples.regexUrls.empty()) {
        hostPath = samples.regexUrls[q.rng().below(samples.regexUrls.size())];
      } else {
        hostPath = q.clientHost(q.registrable()) + q.path();
      }
      std::string host = hostPath.substr(0, hostPath.find_first_of("/?"));
      if (host.substr(0, 4) == "www.") host = host.substr(4);  // Host as the daemon normalises it
      Req req{host, "http://" + hostPath};
      if (r >= 15) passing.push_back(req);
      mixed.push_back(std::move(req));
    }
    auto request = [&](const Req& req) {
      PolicyRequest pr;
      pr.protocol = Protocol::Http;
      pr.client = &client;
      pr.destination = &dest;
      pr.host = req.host;
      pr.method = "GET";
      pr.url = req.url;
      pr.unixTime = 1700000000;
      return pr;
    };
    // Which list decides, over as many requests as `seconds` allows (a slow list must not make
    // this pass take minutes).
    size_t decided[4] = {};  // blocked by domains, urls, regex; allowed
    size_t classified = 0;
    auto c0 = SteadyClock::now();
    for (const Req& req : mixed) {
      Verdict v = engine->decide(request(req));
      ++decided[v.action != Action::Block ? 3 : v.list == "domains" ? 0 : v.list == "urls" ? 1 : 2];
      if (++classified % 64 == 0 && secondsSince(c0) > seconds) break;
    }
    const double decideRate = rate(seconds, mixed.size(), [&](size_t i) {
      sink += engine->decide(request(mixed[i])).action == Action::Block;
    });
    const double passRate = rate(seconds, passing.size(), [&](size_t i) {
      sink += engine->decide(request(passing[i])).action == Action::Block;
    });
    // Each list's match() alone on the passing requests: where a decision's time goes.
    auto listRate = [&](const CompiledList* l) {
      return rate(seconds / 2, passing.size(), [&](size_t i) {
        const std::string& u = passing[i].url;
        sink += l->find(MatchInput{passing[i].host, std::string_view(u).substr(7), &dest})
                    .has_value();
      });
    };
    const double passDomainRate = listRate(domainList);
    const double passUrlRate = listRate(urlList);
    const double passRegexRate = listRate(regexList);

    std::printf("\nlookups (1 thread, inputs cycled from a set of %zu, after a warm-up pass):\n",
                kInputs);
    std::printf("  (a) domain list match(): %.0f%% hits, %.1f labels per host on average\n",
                100.0 * static_cast<double>(domainHits) / static_cast<double>(hosts.size()),
                static_cast<double>(depthSum) / static_cast<double>(hosts.size()));
    auto pct = [&](size_t n) { return 100.0 * static_cast<double>(n) / static_cast<double>(classified); };
    std::printf("  (b) decide() HTTP host+URL, rules \"%s\", over %zu requests: %.1f%% blocked by "
                "domains, %.1f%% by urls, %.1f%% by regex, %.1f%% allowed (all 3 lists consulted)\n",
                group.rules.c_str(), classified, pct(decided[0]), pct(decided[1]),
                pct(decided[2]), pct(decided[3]));
    std::printf("  (b') decide() on the %zu requests generated to pass; per list, match() on them:"
                " domains %s, urls %s, regex %s (%.2f us/match)\n",
                passing.size(), perSecond(passDomainRate).c_str(), perSecond(passUrlRate).c_str(),
                perSecond(passRegexRate).c_str(), 1e6 / passRegexRate);

    // Lazy regex DFAs grow with the traffic they see (up to max_mem per shard): RSS after the
    // lookups is what a gateway would hold after a while, next to what it holds after a load.
    const long rss2 = vmRssKb();
    std::printf("  VmRSS after the lookups: %ld kB (+%.1f MiB over the build)\n", rss2,
                static_cast<double>(rss2 - rss1) / 1024.0);

    std::vector<Row> rows;
    const double rssMb = static_cast<double>(rss1 - rss0) / 1024.0;
    for (const ListReport& r : engine->lists()) {
      for (auto& [name, sec] : loadSeconds) {
        if (name == r.section) rows.push_back({"load " + r.name + " (" + std::to_string(r.stats.entries) + " entries)", fmt("%.3f s", sec), "", -1});
      }
    }
    rows.push_back({"load total (buildPolicyEngine)", fmt("%.3f s", loadTotal), "< 3 s", loadTotal < 3});
    rows.push_back({"memory: VmRSS growth over the build", fmt("%.1f MiB", rssMb), "< 150 MB",
                    rssMb * 1.048576 < 150});
    rows.push_back({"memory: VmRSS growth, build + all the lookups below",
                    fmt("%.1f MiB", static_cast<double>(rss2 - rss0) / 1024.0), "", -1});
    rows.push_back({"(a) domain match() lookups/s, 1 thread", perSecond(domainRate),
                    ">= 5 M/s", domainRate >= 5e6});
    rows.push_back({"(b) decide() HTTP, mixed (85% allowed), 1 thread", perSecond(decideRate),
                    ">= 1 M/s", decideRate >= 1e6});
    rows.push_back({"(b') decide() HTTP, passing only (all lists), 1 thread",
                    perSecond(passRate), ">= 1 M/s", passRate >= 1e6});
    printTable(rows);
    if (sink == 42) std::printf(" ");  // keeps the loops from being optimised away

    if (keepDir.empty()) std::filesystem::remove_all(dir);
    return 0;
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "filters_bench: %s\n", ex.what());
    return 1;
  }
}
