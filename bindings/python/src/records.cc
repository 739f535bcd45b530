// The rows of the typed repositories as read-only Python classes — Wallet, WalletTransaction,
// Payment, Report, Review, AuditLogEntry, PostRecord, VideoRecord, CommentRecord, FollowRecord,
// BlockRecord, MuteRecord, ReactionRecord, SessionRecord, UserProfileRecord — and Batch.
//
//   w = p.wallets.get(7, fields=["balance"])
//   w.balance            # 0
//   w.currency           # None: not selected (fields a row does not have also read None)
//   repr(w)              # Wallet(id=7, user_id=None, balance=0, currency=None, ...)
//
// Every field but `id` is optional (None when not selected or NULL). Ids are ints, enums their
// upper-case names, times aware UTC datetimes, JSON columns (metadata, evidence, changes) their text.
// RecordClass binds each field once: the property, its place in the repr and in FIELDS come from one line.
#include <pybind11/stl.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "common.h"
#include "daira/model/account_records.h"
#include "daira/model/audit_log.h"
#include "daira/model/content_records.h"
#include "daira/model/content_report.h"
#include "daira/model/moderation_review.h"
#include "daira/model/payment.h"
#include "daira/model/post_record.h"
#include "daira/model/reaction_record.h"
#include "daira/model/social_records.h"
#include "daira/model/wallet.h"
#include "daira/model/wallet_transaction.h"
#include "module.h"
#include "repository.h"

namespace daira::python {
namespace {

// C++ field value → Python object.
py::object ToPy(int64_t v) { return py::int_(v); }
py::object ToPy(double v) { return py::float_(v); }
py::object ToPy(const std::string& s) { return py::str(s); }
py::object ToPy(Clock::TimePoint t) { return ToDatetime(t); }
template <typename Tag>
py::object ToPy(StrongId<Tag> id) {
  return py::int_(id.value);
}
template <typename E>
  requires std::is_enum_v<E>
py::object ToPy(E e) {
  return py::str(std::string(model::ToString(e)));
}
template <typename T>
py::object ToPy(const std::vector<T>& v);
template <typename T>
py::object ToPy(const std::optional<T>& v) {
  return v.has_value() ? ToPy(*v) : py::none();
}
template <typename T>
py::object ToPy(const std::vector<T>& v) {
  py::list out;
  for (const T& x : v) out.append(ToPy(x));
  return out;
}

// repr of one field value: long text is cut at 60 characters.
std::string FieldRepr(const py::object& v) {
  if (py::isinstance<py::str>(v)) {
    std::string s = v.cast<std::string>();
    if (s.size() > 60) {
      size_t cut = 60;
      while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // whole UTF-8 chars
      return Repr(py::str(s.substr(0, cut) + "…"));
    }
  }
  return Repr(v);
}

template <typename T>
class RecordClass {
 public:
  RecordClass(py::module_& m, const char* name, const char* doc)
      : cls_(m, name, doc), name_(name), getters_(std::make_shared<Getters>()) {}

  // A field read through `get(const T&)`, which returns the member (an optional, an id, …).
  template <typename Get>
  RecordClass& Field(const char* field, Get get) {
    std::function<py::object(const T&)> g = [get](const T& r) { return ToPy(get(r)); };
    cls_.def_property_readonly(field, g);
    getters_->emplace_back(field, g);
    return *this;
  }
  template <typename M>
  RecordClass& Member(const char* field, M T::*member) {
    return Field(field, [member](const T& r) -> const M& { return r.*member; });
  }
  // Adds __repr__ (every field, in order) and FIELDS (the field names) once all fields are bound.
  void Done() {
    auto getters = getters_;
    std::string name = name_;
    cls_.def("__repr__", [getters, name](const T& r) {
      std::string out = name + "(";
      bool first = true;
      for (const auto& [field, get] : *getters) {
        out += (first ? "" : ", ") + field + "=" + FieldRepr(get(r));
        first = false;
      }
      return out + ")";
    });
    py::list names;
    for (const auto& f : *getters) names.append(py::str(f.first));
    cls_.attr("FIELDS") = py::tuple(names);
  }

 private:
  using Getters = std::vector<std::pair<std::string, std::function<py::object(const T&)>>>;
  py::class_<T> cls_;
  std::string name_;
  std::shared_ptr<Getters> getters_;
};

void BindPayments(py::module_& m) {
  using model::Wallet;
  RecordClass<Wallet>(m, "Wallet", "A wallet: one user's balance in one currency, in minor units (cents).")
      .Member("id", &Wallet::id)
      .Member("user_id", &Wallet::user_id)
      .Member("balance", &Wallet::balance)
      .Member("currency", &Wallet::currency)
      .Member("earned_total", &Wallet::earned_total)
      .Member("spent_total", &Wallet::spent_total)
      .Member("tips_received", &Wallet::tips_received)
      .Member("last_payout_at", &Wallet::last_payout_at)
      .Member("created_at", &Wallet::created_at)
      .Member("updated_at", &Wallet::updated_at)
      .Done();

  using model::Transaction;
  RecordClass<Transaction>(m, "WalletTransaction",
                           "A row of the money journal (p.transactions): type DEPOSIT | WITHDRAWAL | TIP |\n"
                           "EARNING | REFUND, status PENDING | COMPLETED | FAILED, amount in minor units.")
      .Member("id", &Transaction::id)
      .Member("wallet_id", &Transaction::wallet_id)
      .Member("counterparty_wallet_id", &Transaction::counterparty_wallet_id)
      .Member("type", &Transaction::type)
      .Member("status", &Transaction::status)
      .Member("amount", &Transaction::amount)
      .Member("currency", &Transaction::currency)
      .Member("balance_after", &Transaction::balance_after)
      .Member("metadata", &Transaction::metadata)
      .Member("idempotency_key", &Transaction::idempotency_key)
      .Member("created_at", &Transaction::created_at)
      .Member("updated_at", &Transaction::updated_at)
      .Member("completed_at", &Transaction::completed_at)
      .Done();

  using model::Payment;
  RecordClass<Payment>(m, "Payment",
                       "A charge or payout with a provider (STRIPE | PAYPAL | FAWRY | INSTAPAY); status PENDING |\n"
                       "PROCESSING | COMPLETED | FAILED | REFUNDED.")
      .Member("id", &Payment::id)
      .Member("user_id", &Payment::user_id)
      .Member("wallet_id", &Payment::wallet_id)
      .Member("transaction_id", &Payment::transaction_id)
      .Member("provider", &Payment::provider)
      .Member("external_id", &Payment::external_id)
      .Member("amount", &Payment::amount)
      .Member("currency", &Payment::currency)
      .Member("status", &Payment::status)
      .Member("error", &Payment::error)
      .Member("metadata", &Payment::metadata)
      .Member("created_at", &Payment::created_at)
      .Member("updated_at", &Payment::updated_at)
      .Done();
}

void BindModeration(py::module_& m) {
  using model::ContentReport;
  RecordClass<ContentReport>(m, "Report",
                             "A content report: content_type POST | VIDEO | COMMENT | USER, severity LOW | MEDIUM |\n"
                             "HIGH | CRITICAL, status PENDING | REVIEWING | RESOLVED | DISMISSED.")
      .Member("id", &ContentReport::id)
      .Member("reporter_id", &ContentReport::reporter_id)
      .Member("content_type", &ContentReport::content_type)
      .Member("content_id", &ContentReport::content_id)
      .Member("reason", &ContentReport::reason)
      .Member("description", &ContentReport::description)
      .Member("severity", &ContentReport::severity)
      .Member("status", &ContentReport::status)
      .Member("evidence", &ContentReport::evidence)
      .Member("created_at", &ContentReport::created_at)
      .Member("updated_at", &ContentReport::updated_at)
      .Member("resolved_at", &ContentReport::resolved_at)
      .Done();

  using model::ModerationReview;
  RecordClass<ModerationReview>(m, "Review",
                                "A moderator's review of a report: decision APPROVED | REJECTED | WARN | SUSPEND | BAN.")
      .Member("id", &ModerationReview::id)
      .Member("report_id", &ModerationReview::report_id)
      .Member("reviewer_id", &ModerationReview::reviewer_id)
      .Member("decision", &ModerationReview::decision)
      .Member("action_taken", &ModerationReview::action_taken)
      .Member("reason", &ModerationReview::reason)
      .Member("created_at", &ModerationReview::created_at)
      .Done();

  using model::AuditLog;
  RecordClass<AuditLog>(m, "AuditLogEntry", "An entry of the append-only, hash-chained audit log.")
      .Member("id", &AuditLog::id)
      .Member("actor_id", &AuditLog::actor_id)
      .Member("action", &AuditLog::action)
      .Member("resource_type", &AuditLog::resource_type)
      .Member("resource_id", &AuditLog::resource_id)
      .Member("changes", &AuditLog::changes)
      .Member("ip_address", &AuditLog::ip_address)
      .Member("user_agent", &AuditLog::user_agent)
      .Member("correlation_id", &AuditLog::correlation_id)
      .Member("created_at", &AuditLog::created_at)
      .Member("reason", &AuditLog::reason)
      .Member("seq", &AuditLog::seq)
      .Member("prev_hash", &AuditLog::prev_hash)
      .Member("hash", &AuditLog::hash)
      .Done();
}

void BindContentRecords(py::module_& m) {
  using model::PostRecord;
  RecordClass<PostRecord>(m, "PostRecord", "A `posts` row as p.posts reads it (every status; no author summary).")
      .Member("id", &PostRecord::id)
      .Member("author_id", &PostRecord::author_id)
      .Member("content", &PostRecord::content)
      .Member("media_urls", &PostRecord::media_urls)
      .Member("hashtags", &PostRecord::hashtags)
      .Member("mentions", &PostRecord::mentions)
      .Member("likes_count", &PostRecord::likes_count)
      .Member("comments_count", &PostRecord::comments_count)
      .Member("status", &PostRecord::status)
      .Member("visibility", &PostRecord::visibility)
      .Member("created_at", &PostRecord::created_at)
      .Member("updated_at", &PostRecord::updated_at)
      .Member("deleted_at", &PostRecord::deleted_at)
      .Done();

  using model::VideoRecord;
  RecordClass<VideoRecord>(m, "VideoRecord", "A `videos` row as p.videos reads it (every status).")
      .Member("id", &VideoRecord::id)
      .Member("author_id", &VideoRecord::author_id)
      .Member("title", &VideoRecord::title)
      .Member("description", &VideoRecord::description)
      .Member("hashtags", &VideoRecord::hashtags)
      .Member("source_key", &VideoRecord::source_key)
      .Member("thumbnail_url", &VideoRecord::thumbnail_url)
      .Member("hls_url", &VideoRecord::hls_url)
      .Member("duration_ms", &VideoRecord::duration_ms)
      .Member("resolution", &VideoRecord::resolution)
      .Member("views_count", &VideoRecord::views_count)
      .Member("likes_count", &VideoRecord::likes_count)
      .Member("comments_count", &VideoRecord::comments_count)
      .Member("status", &VideoRecord::status)
      .Member("visibility", &VideoRecord::visibility)
      .Member("error", &VideoRecord::error)
      .Member("created_at", &VideoRecord::created_at)
      .Member("updated_at", &VideoRecord::updated_at)
      .Member("published_at", &VideoRecord::published_at)
      .Member("deleted_at", &VideoRecord::deleted_at)
      .Member("hidden_at", &VideoRecord::hidden_at)
      .Done();

  using model::CommentRecord;
  RecordClass<CommentRecord>(m, "CommentRecord",
                             "A `comments` row as p.comments reads it (every status): post_id or video_id is set.")
      .Member("id", &CommentRecord::id)
      .Member("post_id", &CommentRecord::post_id)
      .Member("video_id", &CommentRecord::video_id)
      .Member("parent_id", &CommentRecord::parent_id)
      .Member("author_id", &CommentRecord::author_id)
      .Member("content", &CommentRecord::content)
      .Member("mentions", &CommentRecord::mentions)
      .Member("likes_count", &CommentRecord::likes_count)
      .Member("replies_count", &CommentRecord::replies_count)
      .Member("status", &CommentRecord::status)
      .Member("created_at", &CommentRecord::created_at)
      .Member("updated_at", &CommentRecord::updated_at)
      .Member("deleted_at", &CommentRecord::deleted_at)
      .Done();
}

void BindSocialRecords(py::module_& m) {
  using model::FollowRecord;
  RecordClass<FollowRecord>(m, "FollowRecord", "A `follows` row: status ACTIVE, or PENDING for a private followee.")
      .Member("id", &FollowRecord::id)
      .Member("follower_id", &FollowRecord::follower_id)
      .Member("followee_id", &FollowRecord::followee_id)
      .Member("status", &FollowRecord::status)
      .Member("created_at", &FollowRecord::created_at)
      .Member("updated_at", &FollowRecord::updated_at)
      .Done();

  using model::BlockRecord;
  RecordClass<BlockRecord>(m, "BlockRecord", "A `blocks` row.")
      .Member("id", &BlockRecord::id)
      .Member("blocker_id", &BlockRecord::blocker_id)
      .Member("blocked_id", &BlockRecord::blocked_id)
      .Member("reason", &BlockRecord::reason)
      .Member("created_at", &BlockRecord::created_at)
      .Done();

  using model::MuteRecord;
  RecordClass<MuteRecord>(m, "MuteRecord", "A `mutes` row: mute_type MUTE | HIDE_STORIES | HIDE_POSTS.")
      .Member("id", &MuteRecord::id)
      .Member("muter_id", &MuteRecord::muter_id)
      .Member("muted_id", &MuteRecord::muted_id)
      .Member("mute_type", &MuteRecord::mute_type)
      .Member("created_at", &MuteRecord::created_at)
      .Member("expires_at", &MuteRecord::expires_at)
      .Done();

  using model::ReactionRecord;
  RecordClass<ReactionRecord>(m, "ReactionRecord",
                              "A reaction row (`likes`): one of post_id / video_id / comment_id is set.")
      .Member("id", &ReactionRecord::id)
      .Member("user_id", &ReactionRecord::user_id)
      .Member("post_id", &ReactionRecord::post_id)
      .Member("video_id", &ReactionRecord::video_id)
      .Member("comment_id", &ReactionRecord::comment_id)
      .Member("reaction", &ReactionRecord::reaction)
      .Member("created_at", &ReactionRecord::created_at)
      .Done();

  using model::UserSessionRecord;
  RecordClass<UserSessionRecord>(m, "SessionRecord", "A `user_sessions` row, without its token hashes.")
      .Member("id", &UserSessionRecord::id)
      .Member("user_id", &UserSessionRecord::user_id)
      .Member("family_id", &UserSessionRecord::family_id)
      .Member("device_type", &UserSessionRecord::device_type)
      .Member("device_name", &UserSessionRecord::device_name)
      .Member("ip_address", &UserSessionRecord::ip_address)
      .Member("user_agent", &UserSessionRecord::user_agent)
      .Member("created_at", &UserSessionRecord::created_at)
      .Member("updated_at", &UserSessionRecord::updated_at)
      .Member("last_used_at", &UserSessionRecord::last_used_at)
      .Member("expires_at", &UserSessionRecord::expires_at)
      .Member("access_expires_at", &UserSessionRecord::access_expires_at)
      .Member("revoked_at", &UserSessionRecord::revoked_at)
      .Member("replaced_by", &UserSessionRecord::replaced_by)
      .Done();

  using model::UserProfileRecord;
  RecordClass<UserProfileRecord>(m, "UserProfileRecord", "A `user_profiles` row (keyed by user_id).")
      .Member("user_id", &UserProfileRecord::user_id)
      .Member("display_name", &UserProfileRecord::display_name)
      .Member("bio", &UserProfileRecord::bio)
      .Member("location", &UserProfileRecord::location)
      .Member("website", &UserProfileRecord::website)
      .Member("followers_count", &UserProfileRecord::followers_count)
      .Member("following_count", &UserProfileRecord::following_count)
      .Member("posts_count", &UserProfileRecord::posts_count)
      .Member("videos_count", &UserProfileRecord::videos_count)
      .Member("likes_received_count", &UserProfileRecord::likes_received_count)
      .Member("trust_score", &UserProfileRecord::trust_score)
      .Member("badges", &UserProfileRecord::badges)
      .Member("created_at", &UserProfileRecord::created_at)
      .Member("updated_at", &UserProfileRecord::updated_at)
      .Done();
}

}  // namespace

std::string JsonArg(const py::object& value) {
  if (py::isinstance<py::str>(value)) return value.cast<std::string>();
  return py::module_::import("json").attr("dumps")(value).cast<std::string>();
}
std::string UpperName(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}
std::optional<std::string> OptJsonArg(const py::object& value) {
  if (value.is_none()) return std::nullopt;
  return JsonArg(value);
}
std::optional<Clock::TimePoint> OptTimeArg(const py::object& value) {
  if (value.is_none()) return std::nullopt;
  return FromDatetime(value);
}

void RegisterRecords(py::module_& m) {
  BindPayments(m);
  BindModeration(m);
  BindContentRecords(m);
  BindSocialRecords(m);
  py::class_<PyBatch>(m, "Batch", "get_many(): the rows found (.items, in the order asked) and the ids missing.")
      .def_readonly("items", &PyBatch::items)
      .def_readonly("missing", &PyBatch::missing)
      .def("__iter__", [](const PyBatch& b) { return b.items.attr("__iter__")(); })
      .def("__len__", [](const PyBatch& b) { return py::len(b.items); })
      .def("__repr__", [](const PyBatch& b) {
        return "Batch(items=" + Repr(b.items) + ", missing=" + Repr(b.missing) + ")";
      });
}

}  // namespace daira::python
