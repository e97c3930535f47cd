// TaskThread: one OS thread that runs posted tasks in order (plain C++, no torch, no napi).
// A native session owns one, so every torch call of the session runs on the same thread: its
// thread-local torch state (intra-op thread count, grad mode, autocast) and its OpenMP team are
// set up once, instead of once per libuv pool thread that happens to pick a call up (trap 3).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace tn {

class TaskThread {
 public:
  // `atExit` runs on the thread after the last task (the binding releases its thread-safe
  // function there, so no completion can be delivered after the release).
  explicit TaskThread(std::function<void()> atExit = {});
  ~TaskThread();  // finish() and wait
  TaskThread(const TaskThread&) = delete;
  TaskThread& operator=(const TaskThread&) = delete;

  // Queues a task; false once finish() was called (the task is not run).
  bool post(std::function<void()> task);
  // No more tasks are accepted; the thread runs what is queued, then `atExit`, then ends.
  void finish();
  // finish(), then blocks until the thread has ended.
  void join();

 private:
  void run();
  std::mutex mu_;
  std::mutex joinMu_;  // join() may be called from a reaper and from teardown at once
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool finishing_ = false;
  std::function<void()> atExit_;
  std::thread thread_;
};

}  // namespace tn
