// The registration functions of daira._daira, one per source file (module.cc calls them in order).
#pragma once

#include <pybind11/pybind11.h>

namespace daira::python {

void RegisterErrors(pybind11::module_& m);     // errors.cc: status → daira.<Code>, _raise_status
void RegisterModels(pybind11::module_& m);     // models.cc: User, Post, Follow, … (read-only, repr)
void RegisterPage(pybind11::module_& m);       // page.cc: Page and its iterators
void RegisterRecords(pybind11::module_& m);    // records.cc: Wallet, Payment, …, PostRecord, Batch
void RegisterTransaction(pybind11::module_& m);  // transaction.cc: Transaction
void RegisterPaymentsRepos(pybind11::module_& m);    // repos_payments.cc: Wallets, TransactionJournal, Payments
void RegisterModerationRepos(pybind11::module_& m);  // repos_moderation.cc: Reports, Reviews, AuditLogs
void RegisterModerationService(pybind11::module_& m);  // moderation_service.cc: Moderation, AuditLog
void RegisterContentRepos(pybind11::module_& m);     // repos_content.cc: Posts, Videos, Comments
void RegisterSocialRepos(pybind11::module_& m);  // repos_social.cc: Follows, Blocks, Mutes, Reactions, …
void RegisterBus(pybind11::module_& m);       // bus.cc: Bus, Job, JobIterator
void RegisterCache(pybind11::module_& m);     // cache.cc: Cache
void RegisterRateLimits(pybind11::module_& m);  // rate_limits.cc: RateLimits
void RegisterVectors(pybind11::module_& m);     // vectors.cc: Vectors
void RegisterRealtime(pybind11::module_& m);  // realtime.cc: Realtime, Subscription, Message, Presence, Typing
void RegisterChat(pybind11::module_& m);      // chat.cc: Chat, Notifications, Conversation, ChatMessage, …
void RegisterMoney(pybind11::module_& m);     // money.cc: Money, WalletBalance, StatementLine
void RegisterBlobs(pybind11::module_& m);     // blobs.cc: Blobs
void RegisterPlatform(pybind11::module_& m);   // platform.cc: open(), Platform, _bench_user_get
void RegisterAccounts(pybind11::module_& m);   // accounts.cc: Accounts, Users, Profiles
void RegisterSocial(pybind11::module_& m);     // social.cc: Social
void RegisterContent(pybind11::module_& m);    // content.cc: Content
void RegisterDiscovery(pybind11::module_& m);  // discovery.cc: Feed, Search, Trending

}  // namespace daira::python
