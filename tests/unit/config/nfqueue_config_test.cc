// [nfqueue]: defaults, values and the errors that name their line.
#include <gtest/gtest.h>

#include "daemon/config/config.h"

namespace tollgate::config {
namespace {

std::string errorOf(const std::string& text) {
  try {
    loadConfigText(text, "t.conf");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(NfqueueConfig, DefaultsAreOffInspectOpenOnPort443) {
  auto c = loadConfigText("", "<default>");
  EXPECT_FALSE(c->nfqueue.enabled);
  EXPECT_EQ(c->nfqueue.queue, 0);
  EXPECT_EQ(c->nfqueue.threads, 1u);
  EXPECT_EQ(c->nfqueue.quic, QuicMode::Inspect);
  EXPECT_EQ(c->nfqueue.quicPorts, std::vector<uint16_t>{443});
  EXPECT_FALSE(c->nfqueue.dns);
  EXPECT_EQ(c->nfqueue.failMode, FailMode::Open);
  EXPECT_EQ(c->nfqueue.firstPackets, 4u);
  EXPECT_EQ(c->nfqueue.blockTimeout, Millis(300000));
  EXPECT_EQ(c->nfqueue.maxFlows, 4096u);
}

TEST(NfqueueConfig, EveryKeyIsRead) {
  auto c = loadConfigText(
      "[nfqueue]\nenabled = true\nqueue = 10\nthreads = 2\nquic = drop\nquic_ports = 443, 8443\n"
      "dns = true\nfail_mode = closed\nfirst_packets = 6\nblock_timeout = 90s\nmax_flows = 100\n",
      "t.conf");
  EXPECT_TRUE(c->nfqueue.enabled);
  EXPECT_EQ(c->nfqueue.queue, 10);
  EXPECT_EQ(c->nfqueue.threads, 2u);
  EXPECT_EQ(c->nfqueue.quic, QuicMode::Drop);
  EXPECT_EQ(c->nfqueue.quicPorts, (std::vector<uint16_t>{443, 8443}));
  EXPECT_TRUE(c->nfqueue.dns);
  EXPECT_EQ(c->nfqueue.failMode, FailMode::Closed);
  EXPECT_EQ(c->nfqueue.firstPackets, 6u);
  EXPECT_EQ(c->nfqueue.blockTimeout, Millis(90000));
  EXPECT_EQ(c->nfqueue.maxFlows, 100u);
  EXPECT_EQ(loadConfigText("[nfqueue]\nquic = pass\n", "t.conf")->nfqueue.quic, QuicMode::Pass);
}

TEST(NfqueueConfig, BadValuesNameTheLine) {
  EXPECT_EQ(errorOf("[nfqueue]\nquic = block\n"),
            "t.conf:2: quic: 'block' is not one of inspect|drop|pass");
  EXPECT_EQ(errorOf("[nfqueue]\nthreads = 0\n"), "t.conf:2: threads: threads must be 1..64");
  EXPECT_EQ(errorOf("[nfqueue]\nfirst_packets = 33\n"),
            "t.conf:2: first_packets: '33' is larger than 32");
  EXPECT_EQ(errorOf("[nfqueue]\nqueue = 65535\nthreads = 2\n"),
            "t.conf:3: queue + threads - 1 exceeds 65535");
  EXPECT_EQ(errorOf("[nfqueue]\nquic_ports =\n"), "t.conf:2: quic_ports is empty");
  EXPECT_EQ(errorOf("[nfqueue]\nquic = pass\nquic_ports =\n"), "");
  EXPECT_EQ(errorOf("[nfqueue]\nblock_timeout = 500ms\n"),
            "t.conf:2: block_timeout: block_timeout must be 1s..1d");
}

}  // namespace
}  // namespace tollgate::config
