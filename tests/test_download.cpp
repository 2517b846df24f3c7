// data::download and MNIST::download against a local HTTP server on 127.0.0.1 (never the
// internet): success, checksum mismatch, HTTP errors, refused and cut connections, and that a
// failed download never leaves a file at the destination.
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>

#include "ember/ember.h"
#include "local_http_server.h"
#include "op_registry.h"
#include "temp_dir.h"

using namespace ember;
using namespace ember::data;
using ember::test::LocalHttpServer;
using ember::test::read_file;
using ember::test::TempDir;

namespace {

std::string payload() {
  std::string s;
  for (int64_t i = 0; i < 300000; ++i) s.push_back(static_cast<char>((i * 7919) % 251));
  return s;
}

bool exists(const std::string& p) { return std::filesystem::exists(p); }

std::string gzip_bytes(const std::string& raw, const TempDir& dir) {
  std::string path = dir.file("gz.tmp");
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, raw.data(), static_cast<unsigned>(raw.size()));
  gzclose(f);
  std::string out = read_file(path);
  std::filesystem::remove(path);
  return out;
}

}  // namespace

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  TempDir dir;
  dir.write("f", "abc");
  EXPECT_EQ(sha256_file(dir.file("f")), sha256_hex("abc", 3));
  EXPECT_EMBER_ERROR(sha256_file(dir.file("missing")), "sha256_file", "missing");
}

TEST(Download, SuccessWritesVerifiedFile) {
  const std::string body = payload();
  LocalHttpServer server({{"/data.bin", {body}}});
  TempDir dir;
  const std::string dest = dir.file("sub/dir/data.bin");  // parent folders are created
  download(server.url("/data.bin"), dest, sha256_hex(body.data(), body.size()));
  EXPECT_EQ(read_file(dest), body);
  EXPECT_EQ(std::filesystem::directory_iterator(dir.file("sub/dir"))->path().filename(), "data.bin");  // no temp left
  // Upper-case digests are accepted; an empty one skips verification.
  std::string upper = sha256_hex(body.data(), body.size());
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  download(server.url("/data.bin"), dir.file("b.bin"), upper);
  download(server.url("/data.bin"), dir.file("c.bin"), "");
  EXPECT_EQ(read_file(dir.file("c.bin")), body);
  EXPECT_EQ(server.requests("/data.bin"), 3);
}

TEST(Download, ChecksumMismatchLeavesNoFile) {
  const std::string body = payload();
  LocalHttpServer server({{"/data.bin", {body}}});
  TempDir dir;
  const std::string wrong(64, 'a'), actual = sha256_hex(body.data(), body.size());
  EXPECT_EMBER_ERROR(download(server.url("/data.bin"), dir.file("data.bin"), wrong), "download", "SHA-256 mismatch",
                     wrong.c_str(), actual.c_str(), "nothing was written");
  EXPECT_TRUE(dir.list().empty()) << "a file was left behind";
  // An existing file at the destination survives a failed download untouched.
  dir.write("data.bin", "previous contents");
  EXPECT_THROW(download(server.url("/data.bin"), dir.file("data.bin"), wrong), Error);
  EXPECT_EQ(read_file(dir.file("data.bin")), "previous contents");
  EXPECT_EQ(dir.list().size(), 1u);
  EXPECT_EMBER_ERROR(download(server.url("/data.bin"), dir.file("x"), "xyz"), "download", "64 hex digits");
}

TEST(Download, HttpErrorsRefusedAndCutConnections) {
  const std::string body = payload();
  LocalHttpServer server({{"/cut.bin", {body.substr(0, 1000), 200, static_cast<long>(body.size())}},
                          {"/boom", {"oops", 500}}});
  TempDir dir;
  const std::string sha = sha256_hex(body.data(), body.size());
  EXPECT_EMBER_ERROR(download(server.url("/missing.bin"), dir.file("a"), sha), "download", "/missing.bin", "HTTP 404");
  EXPECT_EMBER_ERROR(download(server.url("/boom"), dir.file("a"), sha), "download", "HTTP 500");
  EXPECT_EMBER_ERROR(download(server.url("/cut.bin"), dir.file("a"), sha), "download", "/cut.bin", "failed");
  const std::string refused = "http://127.0.0.1:" + std::to_string(LocalHttpServer::closed_port()) + "/x";
  EXPECT_EMBER_ERROR(download(refused, dir.file("a"), sha), "download", refused.c_str(), "connect");
  EXPECT_EMBER_ERROR(download("ftp://127.0.0.1/x", dir.file("a"), sha), "download", "ftp://");
  EXPECT_TRUE(dir.list().empty()) << "a failed download left a file";
}

TEST(Download, VerifiesDecompressedContent) {
  TempDir dir;
  const std::string raw = payload();
  const std::string gz = gzip_bytes(raw, dir);
  LocalHttpServer server({{"/f.gz", {gz}}, {"/plain", {"not gzip at all"}}});
  DownloadOptions opt;
  opt.expected_sha256 = sha256_hex(raw.data(), raw.size());
  opt.checksum_of = ChecksumOf::GunzippedContent;
  download(server.url("/f.gz"), dir.file("f.gz"), opt);
  EXPECT_EQ(read_file(dir.file("f.gz")), gz);
  EXPECT_EQ(sha256_gunzipped_file(dir.file("f.gz")), opt.expected_sha256);
  EXPECT_EMBER_ERROR(download(server.url("/plain"), dir.file("p.gz"), opt), "SHA-256 mismatch", "decompressed");
  EXPECT_FALSE(exists(dir.file("p.gz")));
}

TEST(Download, MnistFromLocalMirror) {
  const char* names[] = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                         "t10k-labels-idx1-ubyte.gz"};
  const std::string src = resolve_data_root() + "/mnist/";
  std::map<std::string, LocalHttpServer::Response> good, bad;
  for (const char* n : names) {
    good["/good/" + std::string(n)] = {read_file(src + n)};
    bad["/bad/" + std::string(n)] = {"<html>moved</html>"};
  }
  LocalHttpServer mirror(good), broken(bad);
  TempDir root;
  // The first mirror serves wrong files and the second has nothing; the third is good.
  MNIST::download(root.path(), {broken.url("/bad/"), broken.url("/none/"), mirror.url("/good/")});
  for (const char* n : names) EXPECT_EQ(read_file(root.path() + "/mnist/" + n), read_file(src + n));
  MNIST test(root.path(), false);
  EXPECT_EQ(test.size(), 10000);
  EXPECT_EQ(test.targets()[0].item<int64_t>(), 7);
  // Files already present and correct are not fetched again.
  MNIST::download(root.path(), {mirror.url("/good/")});
  for (const char* n : names) EXPECT_EQ(mirror.requests("/good/" + std::string(n)), 1) << n;
  // A damaged file is replaced.
  std::filesystem::resize_file(root.path() + "/mnist/t10k-labels-idx1-ubyte.gz", 100);
  MNIST::download(root.path(), {mirror.url("/good/")});
  EXPECT_EQ(mirror.requests("/good/t10k-labels-idx1-ubyte.gz"), 2);
  EXPECT_EQ(read_file(root.path() + "/mnist/t10k-labels-idx1-ubyte.gz"), read_file(src + "t10k-labels-idx1-ubyte.gz"));
  // No mirror works: every URL's failure is reported, nothing partial is left.
  TempDir empty_root;
  EXPECT_EMBER_ERROR(MNIST::download(empty_root.path(), {broken.url("/bad/"), broken.url("/none/")}),
                     "MNIST::download", "train-images-idx3-ubyte.gz", "SHA-256 mismatch", "HTTP 404");
  EXPECT_TRUE(std::filesystem::is_empty(empty_root.path() + "/mnist"));
}
