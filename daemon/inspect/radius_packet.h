#pragma once
// RADIUS packets as the captive portal's NAS side sends and receives them: Access-Request with
// PAP (RFC 2865), Accounting-Request (RFC 2866, RFC 2869 gigawords), and the server's answers,
// authenticated with the shared secret (Response Authenticator, RFC 2865 §3) and, against
// BlastRADIUS (CVE-2024-3596), with Message-Authenticator (HMAC-MD5, RFC 3579 §3.2): always
// sent as the first attribute of an Access-Request, required on Access-* answers when asked.
//
// Pure: no I/O, no exceptions, no clock, no randomness (the caller draws identifiers and
// Request Authenticators). MD5 and HMAC-MD5 come from libcrypto (EVP; MD5 is in OpenSSL 3's
// default provider). A RADIUS datagram is whole or nothing, so results are two-state
// (RadiusError::None or the reason), not ParseState: "need more" cannot happen over UDP.
//
// Every received length is checked against what is left: the header's Length against the
// datagram (bytes past Length are padding, RFC 2865 §3) and 4096; each attribute's length
// against the packet; integer and address attributes against their fixed size.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tollgate::inspect {

enum class RadiusCode : uint8_t {
  AccessRequest = 1,
  AccessAccept = 2,
  AccessReject = 3,
  AccountingRequest = 4,
  AccountingResponse = 5,
  AccessChallenge = 11,
};

enum class RadiusError {
  None,
  TooShort,          // fewer bytes than the 20-byte header
  BadLength,         // header Length under 20 or over 4096
  Truncated,         // header Length beyond the datagram
  BadAttribute,      // attribute length under 2 or past the packet; a known attribute (integer,
                     // address, Message-Authenticator, vendor) of the wrong size or repeated
  UnexpectedCode,    // not an answer to this request's code (or not a request, for verify)
  WrongIdentifier,   // another request's answer
  BadAuthenticator,  // Response (or accounting Request) Authenticator does not match: forged,
                     // damaged, or another shared secret
  MissingMessageAuthenticator,  // required and absent (BlastRADIUS)
  BadMessageAuthenticator,      // present and wrong
  EmptySecret,
  InvalidField,     // to encode: empty User-Name or Acct-Session-Id, a NUL in the password, a
                    // field over 253 bytes, an unset address where one is required
  PasswordTooLong,  // over 128 bytes (RFC 2865 §5.2)
  PacketTooLarge,   // the encoding would pass 4096 bytes (too many Class values)
  CryptoFailed,     // libcrypto refused MD5 or HMAC-MD5 (a FIPS-only provider)
};
const char* toString(RadiusError e);

inline constexpr size_t kRadiusHeaderSize = 20;
inline constexpr size_t kRadiusMaxPacketSize = 4096;   // RFC 2865 §3
inline constexpr size_t kRadiusMaxPasswordSize = 128;  // RFC 2865 §5.2
inline constexpr size_t kRadiusMaxValueSize = 253;     // 255 minus type and length
// Class values kept from one answer; more are legal but unheard of, and each is echoed in
// every Accounting-Request, so the cap also bounds what accounting sends.
inline constexpr size_t kRadiusMaxClasses = 8;

using RadiusAuthenticator = std::array<uint8_t, 16>;
using MacAddress = std::array<uint8_t, 6>;  // the same type as nf:: and filters::MacAddress

// An IPv4 or IPv6 address in network order, or none (version 0).
struct RadiusIp {
  uint8_t version = 0;              // 0, 4 or 6
  std::array<uint8_t, 16> bytes{};  // the first 4 for IPv4

  bool empty() const { return version == 0; }
  // "192.0.2.7", "2001:db8::7"; "::ffff:192.0.2.7" (what a dual-stack socket reports for a
  // v4 peer) becomes IPv4, so Framed-IP-Address is what the server expects.
  static std::optional<RadiusIp> parse(std::string_view text);
};

// Who the NAS is: RFC 2865 §4.1 wants NAS-Identifier or NAS-IP-Address (or both).
struct RadiusNas {
  std::string identifier;  // NAS-Identifier (32), omitted when empty
  RadiusIp address;        // NAS-IP-Address (4) or NAS-IPv6-Address (95), omitted when empty
};

struct AccessRequest {
  uint8_t identifier = 0;
  RadiusAuthenticator authenticator{};       // unpredictable and never reused (RFC 2865 §3)
  std::string_view userName;                 // 1..253 bytes
  std::string_view password;                 // 0..128 bytes, no NUL
  std::optional<MacAddress> callingStation;  // Calling-Station-Id "AA-BB-CC-DD-EE-FF" (RFC 3580)
  RadiusIp framedIp;  // the client's address: Framed-IP-Address (8) / Framed-IPv6-Address (168)
};

enum class AcctStatusType : uint32_t { Start = 1, Stop = 2, InterimUpdate = 3 };

// RFC 2866 §5.10; None sends no Acct-Terminate-Cause.
enum class AcctTerminateCause : uint32_t {
  None = 0,
  UserRequest = 1,  // logout
  LostCarrier = 2,  // the client left (no neighbour entry)
  IdleTimeout = 4,
  SessionTimeout = 5,
  AdminReset = 6,
  AdminReboot = 7,
  NasError = 9,
  NasRequest = 10,
  NasReboot = 11,
};

struct AccountingRequest {
  uint8_t identifier = 0;
  AcctStatusType status = AcctStatusType::Start;
  std::string_view sessionId;  // Acct-Session-Id, 1..253 bytes, the same for Start..Stop
  std::string_view userName;   // omitted when empty
  std::optional<MacAddress> callingStation;
  RadiusIp framedIp;
  // The NAS's view (RFC 2866 §5.3): input = from the client (upload), output = to the client.
  // Sent with Acct-Session-Time in Interim-Update and Stop, never in Start.
  uint64_t inputOctets = 0;
  uint64_t outputOctets = 0;
  uint32_t sessionTime = 0;                                      // seconds
  AcctTerminateCause terminateCause = AcctTerminateCause::None;  // Stop only
  uint32_t eventTimestamp = 0;           // Event-Timestamp (RFC 2869 §5.3), UNIX seconds; 0 = omit
  std::span<const std::string> classes;  // from the Access-Accept, echoed in order (§5.25)
};

// Encodes into `out` (replaced). Access-Request: Message-Authenticator first, then User-Name,
// User-Password (hidden), Service-Type Login-User, the NAS, Calling-Station-Id, Framed-IP.
// Accounting-Request: its Request Authenticator is MD5(packet with a zero authenticator +
// secret) (RFC 2866 §3). On error `out` is empty.
RadiusError encodeAccessRequest(const AccessRequest& request, const RadiusNas& nas,
                                std::string_view secret, std::string& out);
RadiusError encodeAccountingRequest(const AccountingRequest& request, const RadiusNas& nas,
                                    std::string_view secret, std::string& out);

// What an answer is checked against, read back from the encoded request.
struct RadiusRequestInfo {
  RadiusCode code = RadiusCode::AccessRequest;
  uint8_t identifier = 0;
  RadiusAuthenticator authenticator{};
};
// False if `encoded` is shorter than a header.
bool readRequestInfo(std::string_view encoded, RadiusRequestInfo& out);

// The answer's attributes the portal acts on. Vendor attributes read: WISPr (14122)
// Bandwidth-Max-Up/Down (7, 8) and ChilliSpot (14559) Max-Total-Octets (3), the ones
// CoovaChilli honours; other vendors and unknown attributes are skipped.
struct RadiusReply {
  RadiusCode code = RadiusCode::AccessReject;
  uint8_t identifier = 0;
  bool messageAuthenticator = false;        // present (and verified)
  std::optional<uint32_t> sessionTimeout;   // seconds (27)
  std::optional<uint32_t> idleTimeout;      // seconds (28)
  std::optional<uint32_t> interimInterval;  // Acct-Interim-Interval, seconds (85)
  // Reply-Message (18) values joined in order without separator (a long text is split across
  // attributes). Untrusted text from the server: escape it before showing it.
  std::string replyMessage;
  std::vector<std::string> classes;  // non-empty Class (25) values, the first kRadiusMaxClasses
  std::optional<uint32_t> bandwidthMaxUp;    // bit/s
  std::optional<uint32_t> bandwidthMaxDown;  // bit/s
  std::optional<uint32_t> maxTotalOctets;
};

// Checks an answer to `request` and extracts its attributes, in this order: header and
// lengths, code (an Access-* answer to an Access-Request, Accounting-Response to accounting),
// identifier, attribute walk, Response Authenticator, Message-Authenticator (verified whenever
// present; when absent an Access-* answer fails if `requireMessageAuthenticator`), then the
// values. `out` is reset first and meaningful only on None.
RadiusError parseRadiusResponse(std::string_view datagram, const RadiusRequestInfo& request,
                                std::string_view secret, bool requireMessageAuthenticator,
                                RadiusReply& out);

// RFC 2865 §5.2 in both directions: `password` (0..128 bytes) padded with NULs to a multiple of
// 16 and chained through MD5(secret + authenticator or previous block). Unhiding strips the
// NUL padding; `hidden` must be 16..128 bytes in whole blocks.
RadiusError hideUserPassword(std::string_view password, std::string_view secret,
                             const RadiusAuthenticator& authenticator, std::string& out);
RadiusError unhideUserPassword(std::string_view hidden, std::string_view secret,
                               const RadiusAuthenticator& authenticator, std::string& out);

// The server's side, for fake servers in tests and the fuzz harness: what a server checks on
// a request (Access-Request: a valid Message-Authenticator, which this codec always sends;
// Accounting-Request: its Request Authenticator), and how it signs an answer in place (Length
// set to packet.size(); the first Message-Authenticator, if any, computed; then the Response
// Authenticator).
RadiusError verifyRadiusRequest(std::string_view packet, std::string_view secret);
RadiusError signRadiusResponse(std::string& packet, const RadiusAuthenticator& requestAuthenticator,
                               std::string_view secret);

// "02-00-5E-10-00-01": Calling-Station-Id as RFC 3580 §3.21 writes a MAC.
std::string formatCallingStationId(const MacAddress& mac);

}  // namespace tollgate::inspect
