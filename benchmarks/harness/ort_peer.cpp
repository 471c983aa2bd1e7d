#include "ort_peer.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace fs = std::filesystem;

namespace braid::bench {
namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

std::string find_in_path(const std::string& exe) {
  if (exe.find('/') != std::string::npos) return access(exe.c_str(), X_OK) == 0 ? exe : "";
  std::stringstream path(env_or("PATH", "/usr/local/bin:/usr/bin:/bin"));
  std::string dir;
  while (std::getline(path, dir, ':')) {
    const std::string p = (dir.empty() ? "." : dir) + "/" + exe;
    if (access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

// The "version" field of a package.json (no JSON library here: the first match will do).
std::string package_version(const fs::path& package_json) {
  std::ifstream f(package_json);
  std::stringstream text;
  text << f.rdbuf();
  const std::string s = text.str();
  const size_t k = s.find("\"version\"");
  if (k == std::string::npos) return "?";
  const size_t q1 = s.find('"', s.find(':', k) + 1), q2 = q1 == std::string::npos ? q1 : s.find('"', q1 + 1);
  return q2 == std::string::npos ? "?" : s.substr(q1 + 1, q2 - q1 - 1);
}

bool write_all(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

Result<OrtPeerLocation> find_ort_peer() {
  const char* home = std::getenv("HOME");
  const std::string prefix = env_or("BRAID_ORT_PREFIX", std::string(home ? home : "/root") + "/.cache/braid/ort");
  const std::string install =
      "; install it with scripts/common.sh (ensure_ort_peer), i.e.\n"
      "    npm install --prefix " + prefix + " --ignore-scripts onnxruntime-node@1.30.0\n"
      "  (set BRAID_ORT_PREFIX to use another directory)";
  OrtPeerLocation where;
  where.node = find_in_path(env_or("BRAID_NODE", "node"));
  if (where.node.empty()) return invalid_argument("--compare ort needs Node.js: no 'node' on PATH" + install);
  const fs::path module = fs::path(prefix) / "node_modules" / "onnxruntime-node";
  if (!fs::exists(module / "package.json"))
    return invalid_argument("--compare ort needs onnxruntime-node: not found in " + module.string() + install);
  where.module_dir = module.string();
  where.version = package_version(module / "package.json");
#ifdef BRAID_ORT_SERVE_SCRIPT
  const std::string bundled = BRAID_ORT_SERVE_SCRIPT;
#else
  const std::string bundled = "benchmarks/peer/ort_serve.mjs";
#endif
  where.script = env_or("BRAID_ORT_SERVE", bundled);
  if (!fs::exists(where.script))
    return invalid_argument("--compare ort: the ORT server script " + where.script +
                            " is missing (set BRAID_ORT_SERVE to benchmarks/peer/ort_serve.mjs)");
  return where;
}

Result<BlockReply> parse_block_reply(const std::string& line) {
  std::istringstream words(line);
  std::string ok;
  BlockReply b;
  words >> ok >> b.numel >> b.sum >> b.sum_abs;
  if (ok != "ok" || words.fail()) return internal_error("bad reply to a run request: '" + line.substr(0, 200) + "'");
  double ms = 0;
  while (words >> ms) b.ms.push_back(ms);
  if (!words.eof() || b.ms.empty()) return internal_error("bad timings in the reply '" + line.substr(0, 200) + "'");
  return b;
}

Result<ScenarioReply> parse_scenario_reply(const std::string& line) {
  std::istringstream words(line);
  std::string ok;
  ScenarioReply r;
  words >> ok >> r.wall_s;
  if (ok != "ok" || words.fail() || !(r.wall_s >= 0))
    return internal_error("bad reply to a scenario request: '" + line.substr(0, 200) + "'");
  double ms = 0;
  while (words >> ms) r.ms.push_back(ms);
  if (!words.eof() || r.ms.empty()) return internal_error("bad timings in the reply '" + line.substr(0, 200) + "'");
  return r;
}

namespace {
int64_t status_field_kib(pid_t pid, const char* field) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  const std::string key = std::string(field) + ":";
  while (std::getline(f, line))
    if (line.rfind(key, 0) == 0) return std::strtoll(line.c_str() + key.size(), nullptr, 10);
  return -1;
}
}  // namespace

int64_t process_peak_rss_kib(pid_t pid) { return status_field_kib(pid, "VmHWM"); }

double process_cpu_seconds(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(f, stat);
  const size_t paren = stat.rfind(')');  // the command name may hold spaces
  if (paren == std::string::npos) return -1;
  std::istringstream fields(stat.substr(paren + 2));
  std::string skip;
  for (int i = 3; i < 14; ++i) fields >> skip;  // state ... cmajflt: fields 3-13
  double utime = 0, stime = 0;
  if (!(fields >> utime >> stime)) return -1;
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}
int64_t process_rss_kib(pid_t pid) { return status_field_kib(pid, "VmRSS"); }

int64_t process_cpu_ns(pid_t pid) {
  const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
  std::error_code ec;
  std::filesystem::directory_iterator it(tasks, ec);
  if (ec) return -1;
  int64_t total = 0;
  for (const auto& task : it) {
    std::ifstream f(task.path() / "schedstat");
    int64_t ns = 0;
    if (f >> ns) total += ns;  // a thread that just exited counts 0
  }
  return total;
}

std::chrono::nanoseconds wait_until_idle(pid_t pid, std::chrono::milliseconds limit) {
  using Clock = std::chrono::steady_clock;
  constexpr auto kQuiet = std::chrono::milliseconds(5);
  const auto start = Clock::now();
  std::vector<std::pair<Clock::time_point, int64_t>> window{{start, process_cpu_ns(pid)}};
  while (window.back().second >= 0 && Clock::now() - start < limit) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const auto now = Clock::now();
    const int64_t used = process_cpu_ns(pid);
    if (used < 0) break;
    window.emplace_back(now, used);
    while (window.size() > 1 && now - window.front().first > kQuiet) {
      const auto span = std::chrono::duration_cast<std::chrono::nanoseconds>(now - window.front().first).count();
      if (static_cast<double>(used - window.front().second) < 0.05 * static_cast<double>(span)) return now - start;
      window.erase(window.begin());
    }
  }
  return Clock::now() - start;
}

Result<std::unique_ptr<OrtServer>> OrtServer::start(const OrtPeerLocation& where, const std::vector<std::string>& args) {
  int in[2], out[2];
  if (pipe(in) != 0) return internal_error("pipe() failed");
  if (pipe(out) != 0) {
    close(in[0]);
    close(in[1]);
    return internal_error("pipe() failed");
  }
  std::vector<std::string> argv_s{where.node, where.script};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  // The environment, with BRAID_ORT_DIR set for ort_serve.mjs (built here: the child may
  // only make async-signal-safe calls before exec).
  std::string module_env = "BRAID_ORT_DIR=" + where.module_dir;
  std::vector<char*> envp;
  for (char** e = environ; *e; ++e)
    if (std::string(*e).rfind("BRAID_ORT_DIR=", 0) != 0) envp.push_back(*e);
  envp.push_back(module_env.data());
  envp.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return internal_error("fork() failed");
  if (pid == 0) {  // only async-signal-safe calls from here to exec
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    close(in[0]);
    close(in[1]);
    close(out[0]);
    close(out[1]);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  std::unique_ptr<OrtServer> s(new OrtServer);
  s->pid_ = pid;
  s->to_child_ = in[1];
  s->from_child_ = out[0];
  return s;
}

Result<std::string> OrtServer::request(const std::string& line) {
  if (!write_all(to_child_, line + "\n")) return internal_error("the ORT server (pid " + std::to_string(pid_) + ") is gone");
  for (;;) {
    const size_t nl = buffered_.find('\n');
    if (nl != std::string::npos) {
      std::string reply = buffered_.substr(0, nl);
      buffered_.erase(0, nl + 1);
      if (reply.rfind("err", 0) == 0) return internal_error("ONNX Runtime: " + reply.substr(reply.size() > 4 ? 4 : 3));
      return reply;
    }
    char buf[65536];
    const ssize_t n = read(from_child_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      return internal_error("the ORT server (pid " + std::to_string(pid_) + ") exited without answering '" +
                            line.substr(0, 80) + "' (see its message above)");
    buffered_.append(buf, static_cast<size_t>(n));
  }
}

OrtServer::~OrtServer() {
  if (to_child_ >= 0) {
    (void)write_all(to_child_, "quit\n");
    close(to_child_);
  }
  if (from_child_ >= 0) close(from_child_);
  if (pid_ <= 0) return;
  // Give it a moment to exit on "quit", then kill it by PID.
  for (int i = 0; i < 50; ++i) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
}

}  // namespace braid::bench
