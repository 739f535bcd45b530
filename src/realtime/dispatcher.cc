#include "daira/realtime/dispatcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace daira::inline v0::realtime {
namespace {

struct Entry {
  std::unique_ptr<Subscription> sub;
  Dispatcher::OnMessage on_message;
  Dispatcher::OnClosed on_closed;
  std::atomic<bool> active{true};
  std::mutex running;  // held while a callback runs
};

class Worker {
 public:
  Worker(int wake_fd, int batch) : wake_fd_(wake_fd), batch_(batch) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Worker() {
    stop_ = true;
    Wake();
    thread_.join();
    ::close(wake_fd_);
  }
  void Add(std::shared_ptr<Entry> e) {
    {
      std::lock_guard lock(mu_);
      entries_.push_back(std::move(e));
    }
    Wake();
  }
  void Remove(const Entry* e) {
    {
      std::lock_guard lock(mu_);
      std::erase_if(entries_, [&](const auto& x) { return x.get() == e; });
    }
    Wake();
  }
  bool OnThisThread() const { return std::this_thread::get_id() == thread_.get_id(); }
  size_t size() {
    std::lock_guard lock(mu_);
    return entries_.size();
  }

 private:
  void Wake() {
    uint64_t one = 1;
    while (::write(wake_fd_, &one, sizeof(one)) < 0 && errno == EINTR) {
    }
  }

  void Run() {
    std::vector<std::shared_ptr<Entry>> snapshot;
    std::vector<pollfd> fds;
    while (!stop_) {
      {
        std::lock_guard lock(mu_);
        snapshot = entries_;
      }
      fds.assign(1, pollfd{wake_fd_, POLLIN, 0});
      for (const auto& e : snapshot) fds.push_back(pollfd{e->sub->fd(), POLLIN, 0});
      if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) continue;
      if (fds[0].revents & POLLIN) {
        uint64_t v;
        [[maybe_unused]] auto n = ::read(wake_fd_, &v, sizeof(v));
      }
      for (size_t i = 0; i < snapshot.size(); ++i) {
        if (!(fds[i + 1].revents & POLLIN)) continue;
        Serve(*snapshot[i]);
      }
      snapshot.clear();  // drop references before sleeping
    }
  }

  void Serve(Entry& e) {
    std::lock_guard run(e.running);
    for (int n = 0; n < batch_ && e.active.load(); ++n) {
      std::optional<Message> m = e.sub->TryNext();
      if (!m.has_value()) {
        absl::Status st = e.sub->status();
        if (!st.ok() && e.active.exchange(false)) {
          if (e.on_closed) e.on_closed(st);
          Remove(&e);
        }
        return;
      }
      e.on_message(*m);
    }
  }

  const int wake_fd_;
  const int batch_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::shared_ptr<Entry>> entries_;
  std::thread thread_;
};

class ListenerImpl final : public Dispatcher::Listener {
 public:
  ListenerImpl(std::shared_ptr<Entry> entry, Worker* worker) : entry_(std::move(entry)), worker_(worker) {}
  ~ListenerImpl() override {
    entry_->active = false;
    worker_->Remove(entry_.get());
    // Wait for a callback in flight, unless we are that callback.
    if (!worker_->OnThisThread()) std::lock_guard wait(entry_->running);
  }
  const Subscription& subscription() const override { return *entry_->sub; }

 private:
  std::shared_ptr<Entry> entry_;
  Worker* worker_;
};

class DispatcherImpl final : public Dispatcher {
 public:
  explicit DispatcherImpl(std::vector<std::unique_ptr<Worker>> workers) : workers_(std::move(workers)) {}

  absl::StatusOr<std::unique_ptr<Listener>> Listen(std::unique_ptr<Subscription> subscription,
                                                   OnMessage on_message, OnClosed on_closed) override {
    if (subscription == nullptr)
      return absl::InvalidArgumentError("realtime: dispatcher: listen: subscription is null");
    if (!on_message) return absl::InvalidArgumentError("realtime: dispatcher: listen: on_message is empty");
    auto entry = std::make_shared<Entry>();
    entry->sub = std::move(subscription);
    entry->on_message = std::move(on_message);
    entry->on_closed = std::move(on_closed);
    Worker* w = workers_[next_++ % workers_.size()].get();
    w->Add(entry);
    return std::unique_ptr<Listener>(new ListenerImpl(std::move(entry), w));
  }

 private:
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<size_t> next_{0};
};

}  // namespace

absl::StatusOr<std::unique_ptr<Dispatcher>> Dispatcher::Create(const DispatcherOptions& options) {
  if (options.threads < 1 || options.threads > 64) {
    return absl::InvalidArgumentError("realtime: dispatcher: threads must be in [1, 64] (got " +
                                      std::to_string(options.threads) + ")");
  }
  if (options.batch < 1 || options.batch > 1000000) {
    return absl::InvalidArgumentError("realtime: dispatcher: batch must be in [1, 1000000] (got " +
                                      std::to_string(options.batch) + ")");
  }
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < options.threads; ++i) {
    int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) {
      return absl::ResourceExhaustedError(std::string("realtime: dispatcher: eventfd: ") +
                                          std::strerror(errno));
    }
    workers.push_back(std::make_unique<Worker>(fd, options.batch));
  }
  return std::unique_ptr<Dispatcher>(new DispatcherImpl(std::move(workers)));
}

}  // namespace daira::inline v0::realtime
