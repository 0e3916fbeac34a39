// gapbs_dump: runs one GAPBS kernel once and writes its result array to a file, so that
// `gapbs-bench` can compare GAPBS's answers with ours value by value (GAPBS itself prints only
// summaries). Compiled by `benches/gapbs.sh` against a GAPBS source tree, once per kernel:
//   g++ -O3 -fopenmp -std=c++11 -I$GAPBS/src -DKERNEL_BFS benches/gapbs_dump.cc -o dump_bfs
// Usage: dump_<kernel> <usual GAPBS flags> with GAPBS_DUMP=<output file>. The file holds the
// result as raw little-endian values: BFS parents (int32), SSSP distances (int32), CC labels
// (int32), PageRank scores (float32), TC the total (uint64); BC writes `-i` sources per trial for
// `-n` trials (int32), then the scores of the first trial (float32).
// Nothing of GAPBS is copied here: its kernel file is included with its `main` renamed.

// The kernel file comes first: tc.cc selects libstdc++'s parallel mode before any include.
#define main gapbs_main
#if defined(KERNEL_BFS)
#include "bfs.cc"
#elif defined(KERNEL_SSSP)
#include "sssp.cc"
#elif defined(KERNEL_CC)
#include "cc.cc"
#elif defined(KERNEL_PR)
#include "pr.cc"
#elif defined(KERNEL_BC)
#include "bc.cc"
#elif defined(KERNEL_TC)
#include "tc.cc"
#else
#error "define one of KERNEL_BFS, KERNEL_SSSP, KERNEL_CC, KERNEL_PR, KERNEL_BC, KERNEL_TC"
#endif
#undef main

#include <cstdio>
#include <cstdlib>
#include <vector>

static FILE *open_dump() {
  const char *path = std::getenv("GAPBS_DUMP");
  if (path == nullptr) {
    std::fprintf(stderr, "set GAPBS_DUMP to the output file\n");
    std::exit(2);
  }
  FILE *f = std::fopen(path, "wb");
  if (f == nullptr) {
    std::perror(path);
    std::exit(2);
  }
  return f;
}

template <typename T>
static void write_all(FILE *f, const T *data, size_t count) {
  if (std::fwrite(data, sizeof(T), count, f) != count) {
    std::perror("write");
    std::exit(2);
  }
}

int main(int argc, char *argv[]) {
#if defined(KERNEL_BFS)
  CLApp cli(argc, argv, "bfs dump");
  if (!cli.ParseArgs()) return 1;
  Builder b(cli);
  Graph g = b.MakeGraph();
  SourcePicker<Graph> sp(g, cli.start_vertex());
  pvector<NodeID> parent = DOBFS(g, sp.PickNext());
  FILE *f = open_dump();
  write_all(f, parent.data(), parent.size());
#elif defined(KERNEL_SSSP)
  CLDelta<WeightT> cli(argc, argv, "sssp dump");
  if (!cli.ParseArgs()) return 1;
  WeightedBuilder b(cli);
  WGraph g = b.MakeGraph();
  SourcePicker<WGraph> sp(g, cli.start_vertex());
  pvector<WeightT> dist = DeltaStep(g, sp.PickNext(), cli.delta());
  FILE *f = open_dump();
  write_all(f, dist.data(), dist.size());
#elif defined(KERNEL_CC)
  CLApp cli(argc, argv, "cc dump");
  if (!cli.ParseArgs()) return 1;
  Builder b(cli);
  Graph g = b.MakeGraph();
  pvector<NodeID> comp = Afforest(g);
  FILE *f = open_dump();
  write_all(f, comp.data(), comp.size());
#elif defined(KERNEL_PR)
  CLPageRank cli(argc, argv, "pr dump", 1e-4, 20);
  if (!cli.ParseArgs()) return 1;
  Builder b(cli);
  Graph g = b.MakeGraph();
  pvector<ScoreT> scores = PageRankPullGS(g, cli.max_iters(), cli.tolerance());
  FILE *f = open_dump();
  write_all(f, scores.data(), scores.size());
#elif defined(KERNEL_BC)
  CLIterApp cli(argc, argv, "bc dump", 1);
  if (!cli.ParseArgs()) return 1;
  Builder b(cli);
  Graph g = b.MakeGraph();
  // The sources the benchmark's trials use, in order (a fresh picker repeats the sequence).
  SourcePicker<Graph> listing(g, cli.start_vertex());
  std::vector<NodeID> sources;
  for (int i = 0; i < cli.num_iters() * cli.num_trials(); i++)
    sources.push_back(listing.PickNext());
  SourcePicker<Graph> sp(g, cli.start_vertex());
  pvector<ScoreT> scores = Brandes(g, sp, cli.num_iters());
  FILE *f = open_dump();
  write_all(f, sources.data(), sources.size());
  write_all(f, scores.data(), scores.size());
#elif defined(KERNEL_TC)
  CLApp cli(argc, argv, "tc dump");
  if (!cli.ParseArgs()) return 1;
  Builder b(cli);
  Graph g = b.MakeGraph();
  uint64_t total = Hybrid(g);
  FILE *f = open_dump();
  write_all(f, &total, 1);
#endif
  std::fclose(f);
  return 0;
}
