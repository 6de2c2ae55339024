// The nft error classifier on captured stderr, and the spawn mechanics with /bin/sh standing
// in for nft (no privileges needed). Samples marked "observed" were captured from nft 1.0.6
// on Debian 12; the missing-module ones follow the same format with the ENOENT the kernel
// returns for an unknown expression or chain type (a kernel with everything built in cannot
// produce them).
#include "nf/nft_runner.h"

#include <gtest/gtest.h>

namespace tollgate::nf {
namespace {

bool startsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

TEST(NftErrorTest, MissingTproxyModuleIsNamed) {
  const char* err =
      "/dev/stdin:54:3-160: Error: Could not process rule: No such file or directory\n"
      "\t\tmeta nfproto ipv4 tcp dport { 80, 443 } counter tproxy ip to :3129 meta mark set meta "
      "mark & 0xffffff00 | 0x00000001 accept comment \"intercept IPv4\"\n"
      "\t\t^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"
      "^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n";
  NftDiagnosis d = classifyNftError(err);
  EXPECT_EQ(d.cause, NftFailure::NoTproxy);
  EXPECT_TRUE(startsWith(d.message,
                         "kernel lacks TPROXY support (nft_tproxy): Could not process "
                         "rule: No such file or directory (/dev/stdin:54:3-160: meta "
                         "nfproto ipv4"))
      << d.message;
}

TEST(NftErrorTest, UnderlinedExpressionWinsOverOtherKeywordsOnTheLine) {
  // When the kernel points at one expression, nft underlines only that one.
  const char* err =
      "/dev/stdin:50:3-24: Error: Could not process rule: No such file or directory\n"
      "\t\tsocket transparent 1 meta mark set meta mark & 0xffffff00 | 0x00000001 accept comment "
      "\"tproxy flow\"\n"
      "\t\t^^^^^^^^^^^^^^^^^^^^\n";
  EXPECT_EQ(classifyNftError(err).cause, NftFailure::NoSocketMatch);
}

TEST(NftErrorTest, MissingSocketMatchIsNamed) {
  const char* err =
      "/dev/stdin:50:3-90: Error: Could not process rule: No such file or directory\n"
      "\t\tsocket transparent 1 meta mark set meta mark & 0xffffff00 | 0x00000001 accept\n"
      "\t\t^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n";
  NftDiagnosis d = classifyNftError(err);
  EXPECT_EQ(d.cause, NftFailure::NoSocketMatch);
  EXPECT_TRUE(startsWith(d.message, "kernel lacks the socket match (nft_socket): ")) << d.message;
}

TEST(NftErrorTest, MissingFibIsNamed) {
  const char* err =
      "/dev/stdin:51:3-30: Error: Could not process rule: No such file or directory\n"
      "\t\tfib daddr type local return\n"
      "\t\t^^^^^^^^^^^^^^^^^^^^^^^^^^^\n";
  EXPECT_EQ(classifyNftError(err).cause, NftFailure::NoFib);
}

TEST(NftErrorTest, MissingNatChainTypeIsNamed) {
  const char* err =
      "/dev/stdin:44:2-22: Error: Could not process rule: No such file or directory\n"
      "\tchain prerouting_nat {\n"
      "\t^^^^^^^^^^^^^^^^^^^^^\n";
  NftDiagnosis d = classifyNftError(err);
  EXPECT_EQ(d.cause, NftFailure::NoNat);
  EXPECT_TRUE(startsWith(d.message, "kernel lacks NAT redirect for inet tables")) << d.message;
}

TEST(NftErrorTest, MissingRejectIsNamed) {
  const char* err =
      "/dev/stdin:49:3-60: Error: Could not process rule: No such file or directory\n"
      "\t\tfib daddr type local tcp dport 3129 counter reject with tcp reset\n"
      "\t\t                                            ^^^^^^^^^^^^^^^^^^^^^\n";
  EXPECT_EQ(classifyNftError(err).cause, NftFailure::NoReject);
}

TEST(NftErrorTest, MissingCapabilityIsNamed) {  // observed, as uid 65534
  const char* err = "netlink: Error: cache initialization failed: Operation not permitted\n";
  NftDiagnosis d = classifyNftError(err);
  EXPECT_EQ(d.cause, NftFailure::NoPermission);
  EXPECT_EQ(d.message,
            "nft needs CAP_NET_ADMIN in this network namespace (run tollgated as root or grant "
            "the capability): cache initialization failed: Operation not permitted");
}

TEST(NftErrorTest, MissingNfTablesIsNamed) {
  const char* err = "netlink: Error: cache initialization failed: Protocol not supported\n";
  EXPECT_EQ(classifyNftError(err).cause, NftFailure::NoNfTables);
}

TEST(NftErrorTest, SyntaxErrorIsNamed) {  // observed
  const char* err =
      "/dev/stdin:2:31-31: Error: syntax error, unexpected '}'\n"
      " chain c { tcp dport 80 bogus }\n"
      "                              ^\n"
      "/dev/stdin:4:1-1: Error: syntax error, unexpected end of file\n"
      "}\n"
      "^\n";
  NftDiagnosis d = classifyNftError(err);
  EXPECT_EQ(d.cause, NftFailure::SyntaxError);
  EXPECT_EQ(d.message,
            "nft could not parse the ruleset (nft too old for it, or a tollgate bug): syntax "
            "error, unexpected '}' (/dev/stdin:2:31-31: chain c { tcp dport 80 bogus })");
}

TEST(NftErrorTest, UnsupportedOperationOnAFilterRuleIsNotBlamedOnAModule) {  // observed
  // EOPNOTSUPP here means "tproxy in the wrong hook", which the generator never emits; saying
  // "kernel lacks TPROXY" would send the admin after the wrong fix.
  const char* err =
      "/dev/stdin:4:5-35: Error: Could not process rule: Operation not supported\n"
      "    tcp dport 80 tproxy ip to :3129\n"
      "    ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n";
  NftDiagnosis d = classifyNftError(err);
  EXPECT_EQ(d.cause, NftFailure::Unknown);
  EXPECT_EQ(d.message,
            "nft failed: Could not process rule: Operation not supported (/dev/stdin:4:5-35: tcp "
            "dport 80 tproxy ip to :3129)");
}

TEST(NftErrorTest, OldKernelWithoutInetNatIsNamed) {
  const char* err =
      "/dev/stdin:45:3-58: Error: Could not process rule: Operation not supported\n"
      "\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
      "\t\t^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n";
  EXPECT_EQ(classifyNftError(err).cause, NftFailure::NoNat);
}

TEST(NftErrorTest, UnknownErrorsPassNftsMessageThrough) {  // observed
  const char* err =
      "/tmp/t4.nft:2:68-78: Error: conflicting intervals specified\n"
      "  set s { type ipv4_addr; flags interval; elements = { 10.0.0.0/8, 10.1.0.0/16 } }\n"
      "                                                       ~~~~~~~~~~  ^^^^^^^^^^^\n";
  NftDiagnosis d = classifyNftError(err);
  EXPECT_EQ(d.cause, NftFailure::Unknown);
  EXPECT_TRUE(startsWith(d.message, "nft failed: conflicting intervals specified (/tmp/t4.nft:"))
      << d.message;
}

TEST(NftErrorTest, NoSuchFileOnARuleWithoutAModuleKeywordStaysUnknown) {
  const char* err =
      "/dev/stdin:52:3-40: Error: Could not process rule: No such file or directory\n"
      "\t\tip daddr @bypass_dst4 counter return\n"
      "\t\t^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n";
  EXPECT_EQ(classifyNftError(err).cause, NftFailure::Unknown);
}

TEST(NftErrorTest, EmptyStderrSaysSo) {
  EXPECT_EQ(classifyNftError("").message, "nft failed without a message");
  EXPECT_EQ(classifyNftError("\n").message, "nft failed without a message");
}

TEST(NftErrorTest, TextWithoutAnErrorMarkerIsPassedThrough) {
  NftDiagnosis d = classifyNftError("nft: something odd\n");
  EXPECT_EQ(d.cause, NftFailure::Unknown);
  EXPECT_EQ(d.message, "nft failed: nft: something odd");
}

TEST(NftRunTest, ReportsTheFailingSpawnWithItsPath) {
  NftRun run = runNft({"-f", "-"}, "", "/nonexistent/nft");
  ASSERT_TRUE(run.spawnError.has_value());
  EXPECT_EQ(*run.spawnError, "posix_spawn(/nonexistent/nft): No such file or directory");
  EXPECT_EQ(run.exitStatus, -1);
}

TEST(NftRunTest, FeedsStdinAndCapturesBothStreamsAndTheExitStatus) {
  NftRun run = runNft({"-c", "cat; echo oops >&2; exit 3"}, "table inet x {}\n", "/bin/sh");
  EXPECT_EQ(run.spawnError, std::nullopt);
  EXPECT_EQ(run.exitStatus, 3);
  EXPECT_EQ(run.out, "table inet x {}\n");
  EXPECT_EQ(run.err, "oops\n");
}

TEST(NftRunTest, StdinLargerThanAPipeBufferDoesNotDeadlock) {
  std::string big(1 << 20, 'x');
  NftRun run = runNft({"-c", "wc -c"}, big, "/bin/sh");
  EXPECT_EQ(run.exitStatus, 0);
  EXPECT_EQ(std::stoul(run.out), big.size());
}

TEST(NftRunTest, GetsAMinimalCLocaleEnvironment) {
  NftRun run = runNft({"-c", "echo \"$LC_ALL\""}, "", "/bin/sh");
  EXPECT_EQ(run.out, "C\n");
}

TEST(NftRunTest, KillsARunawayNftAfterTheTimeout) {
  NftRun run = runNft({"-c", "exec sleep 10"}, "", "/bin/sh", 100);
  ASSERT_TRUE(run.spawnError.has_value());
  EXPECT_EQ(*run.spawnError, "/bin/sh timed out after 100 ms and was killed");
}

TEST(InterfaceCheckTest, LoopbackExists) { EXPECT_EQ(checkInterfacesExist({"lo"}), std::nullopt); }

TEST(InterfaceCheckTest, NamesTheFirstMissingInterface) {
  EXPECT_EQ(checkInterfacesExist({"lo", "tgnf-nosuch0", "tgnf-nosuch1"}),
            "interface tgnf-nosuch0 does not exist (if_nametoindex(tgnf-nosuch0): No such "
            "device)");
}

}  // namespace
}  // namespace tollgate::nf
