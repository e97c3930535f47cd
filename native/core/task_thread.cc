// TaskThread: see task_thread.h.
#include "core/task_thread.h"

namespace tn {

TaskThread::TaskThread(std::function<void()> atExit) : atExit_(std::move(atExit)), thread_([this] { run(); }) {}

TaskThread::~TaskThread() { join(); }

bool TaskThread::post(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (finishing_) return false;
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
  return true;
}

void TaskThread::finish() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    finishing_ = true;
  }
  cv_.notify_one();
}

void TaskThread::join() {
  finish();
  std::lock_guard<std::mutex> lock(joinMu_);
  if (!thread_.joinable()) return;
  // The binding never drops its last reference from inside a task; detaching keeps that mistake
  // from terminating the process.
  if (thread_.get_id() == std::this_thread::get_id()) thread_.detach();
  else thread_.join();
}

void TaskThread::run() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return finishing_ || !queue_.empty(); });
      if (queue_.empty()) break;  // finishing, and everything queued has run
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();  // tasks catch their own exceptions (the binding's completions do)
  }
  if (atExit_) atExit_();
}

}  // namespace tn
