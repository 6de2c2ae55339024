#pragma once
// The per-line syntax of the text list formats, apart from where the lines come from and where
// the entries go. Each parser says whether a line is blank (nothing to count: empty, comment,
// header), gives entries, or is skipped with a reason (counted in ListStats::skipped).
#include <string>
#include <string_view>
#include <vector>

namespace tollgate::filters::lists {

enum class LineKind { Blank, Entries, Skipped };

struct ParsedLine {
  LineKind kind = LineKind::Blank;
  std::vector<std::string> entries;  // normalised
  std::string why;                   // Skipped only
};

// domains: one name per line; "*.example.com" is taken as example.com (which already covers
// its subdomains); "# ..." comments, also after the name.
void parseDomainsLine(std::string_view line, ParsedLine& out);

// hosts: "ADDRESS name [name...] [# comment]". Only sinkhole addresses block (0.0.0.0,
// 127.0.0.1, ::, ::1); other addresses redirect somewhere real and are skipped. The usual
// boilerplate names (localhost, broadcasthost, ip6-*, ...) are ignored like comments.
void parseHostsLine(std::string_view line, ParsedLine& out);

// adblock: only "||domain^" with no options or just $important, which means exactly "this
// domain and its subdomains". Anything narrower or different (paths, wildcards, other options,
// exceptions "@@", element hiding "##") is skipped: taking it as a whole-domain block would
// block more than the list asks. "!" comments and "[Adblock ...]" headers are blank.
void parseAdblockLine(std::string_view line, ParsedLine& out);

// urls: one URL prefix per line, scheme optional (see normalizeUrlEntry).
void parseUrlsLine(std::string_view line, ParsedLine& out);

// regex, sni_regex, ut1 expressions: the line (trimmed) is the pattern; "#" starts a comment
// only at the beginning of the line, since '#' and spaces may be part of a pattern.
void parseRegexLine(std::string_view line, ParsedLine& out);

// cidr: "10.0.0.0/8", "192.0.2.1", "2001:db8::/32", with "#" comments.
void parseCidrLine(std::string_view line, ParsedLine& out);

std::string_view trimSpaces(std::string_view s);

}  // namespace tollgate::filters::lists
