// ember_dist_fault: a small DDP training job with an injected fault, run by CTest under mpirun
// (tests/distributed/run_mpi.cmake checks the exit status, the time and the message).
//   throw       rank 1 throws an ember::Error at step 3: the job ends non-zero, naming rank 1
//   kill        rank 1 is killed (SIGKILL) at step 3: mpirun ends the job, naming rank 1
//   leave       rank 1 returns from main at step 3 as if done: the others' collective times out
//   models      rank 1 builds a different model: every rank fails at the first broadcast
//   checkpoint  rank 0 rewrites a checkpoint in a loop; rank 1 kills it (SIGKILL) during a save
//   verify DIR  (no mpirun) the checkpoint left in DIR is whole: it loads, and every tensor and
//               the metadata come from the same save
#include <signal.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <chrono>
#include <iostream>
#include <filesystem>
#include <string>
#include <thread>

#include "ember/autograd.h"
#include "ember/distributed/distributed.h"
#include "ember/nn/layers.h"
#include "ember/ops.h"
#include "ember/optim/sgd.h"
#include "ember/train/checkpoint.h"

using namespace ember;
namespace dist = ember::distributed;

namespace {

int run_training(const std::string& mode) {
  auto ctx = dist::Context::from_env();
  const int r = ctx.rank();
  manual_seed(1);
  int64_t hidden = mode == "models" && r == 1 ? 16 : 8;
  auto net = std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(4, hidden), std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(hidden, 1)});
  auto ddp = ctx.wrap(net);
  optim::SGD opt(net->parameters(), optim::SGDOptions(0.1));
  for (int step = 0; step < 1000; ++step) {
    if (step == 3 && r == 1) {
      if (mode == "throw") throw Error("injected failure at step 3");
      if (mode == "kill") std::raise(SIGKILL);
      if (mode == "leave") return 0;
    }
    opt.zero_grad();
    ddp->forward(randn({16, 4})).square().mean().backward();
    opt.step();
  }
  ctx.out(std::cout) << "finished without the injected fault\n";
  return 0;
}

// Every tensor of save k is filled with k, and the metadata says k: a torn file cannot pass.
int checkpoint(const std::string& dir) {
  auto ctx = dist::Context::from_env();
  auto net = std::make_shared<nn::Linear>(2048, 4096);  // 32 MB a save: long enough to be killed mid-write
  const std::string path = dir + "/last.safetensors";
  if (ctx.is_main()) {  // start empty, so that a checkpoint found later comes from this run
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  std::vector<int64_t> pids = ctx.group().allgather(tensor<int64_t>({::getpid()}, {1})).to_vector<int64_t>();
  for (int k = 1; k < 100000; ++k) {
    {
      NoGradGuard ng;
      for (auto& p : net->parameters()) p.fill_(k);
    }
    ember::train::save_checkpoint(ctx, path, *net, nullptr, {{"epoch", std::to_string(k)}});
    if (ctx.rank() == 1 && k == 3) {
      // Rank 0 is writing save 4 now (it waits for this rank only after): kill it mid-write.
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      ::kill(static_cast<pid_t>(pids[0]), SIGKILL);
      std::this_thread::sleep_for(std::chrono::seconds(60));  // mpirun ends this rank too
    }
  }
  return 0;
}

int verify(const std::string& dir) {
  const std::string path = dir + "/last.safetensors";
  nn::Linear net(2048, 4096);
  train::Checkpoint ck = train::load_checkpoint(path, net, nullptr);
  int64_t k = ck.epoch();
  for (auto& p : net.parameters())
    if (!equal(p, full_like(p, static_cast<double>(k)))) {
      std::fprintf(stderr, "checkpoint %s mixes saves: epoch %lld but other values inside\n", path.c_str(),
                   static_cast<long long>(k));
      return 1;
    }
  int partial = 0;  // temporaries of a save that was killed mid-write (the target is never touched)
  for (auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().filename().string().rfind("last.safetensors.tmp.", 0) == 0) ++partial, std::filesystem::remove(e.path());
  std::printf("checkpoint whole: save %lld (%d partial temporary file(s) of a later save removed)\n",
              static_cast<long long>(k), partial);
  return k >= 3 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  try {
    if (mode == "throw" || mode == "kill" || mode == "leave" || mode == "models") return run_training(mode);
    if (mode == "checkpoint" && argc > 2) return checkpoint(argv[2]);
    if (mode == "verify" && argc > 2) return verify(argv[2]);
    std::fprintf(stderr, "usage: ember_dist_fault throw|kill|leave|models|checkpoint DIR|verify DIR\n");
    return 2;
  } catch (const std::exception& e) {
    dist::abort_job_on_error(e.what());  // under mpirun: names this rank and ends every rank
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
