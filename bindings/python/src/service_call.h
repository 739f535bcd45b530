// Python calls as descriptions. Most calls of the native module have one shape — convert the keyword
// arguments, build the C++ arguments (or a request struct), call one method of a service or repository
// in a fresh context or inside tx=, convert the result — so a call is described by the method it
// calls and its Python arguments; the lambda and the conversions follow from the method's signature:
//
//   DefCall<&Platform::social, &services::Social::Follow>(
//       c, "follow", py::arg("follower_id"), py::arg("followee_id"), py::kw_only(), TxArg(), "doc");
//   DefRequest<&Platform::wallet_service, &services::Wallets::Tip,
//              Fields<&TipRequest::sender_id, &TipRequest::receiver_id, …>, MovementDict>(
//       c, "tip", py::arg("sender_id"), py::arg("receiver_id"), py::kw_only(), …, TxArg(), "doc");
//   DefList<FollowsTraits, &services::FollowRepository::ListByFollower>(
//       c, "list_by_follower", py::arg("follower_id"), py::kw_only(), py::arg("limit") = 20, …);
//
// The accessor is a Platform member (&Platform::social) or a function of Platform& (a repository
// traits' Repo). Python argument i is the method's parameter i after the RequestContext (DefCall), the
// request struct's i-th listed member (DefRequest), or the list's key i (DefList); tx= is always last.
// ArgOf says how each C++ type crosses: a strong id from an int, string_view from str, an enum from its
// name (InvalidArgument naming the argument, with the call's `op`), a field mask from `fields` (by
// the traits' column table), an optional datetime from a datetime or None. The conversions run with
// the GIL held; the call itself runs as CallIn does (GIL released). `Out`, when given, converts the
// result (MovementDict). Calls with an argument of another shape keep their own lambda.
#pragma once

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "common.h"
#include "repository.h"
#include "transaction.h"

namespace daira::python {

// The last argument of every call that may run inside a transaction.
inline py::arg_v TxArg() { return py::arg("tx") = py::none(); }

// A call's Python name and the operation its argument errors name ("count follows").
struct Named {
  const char* name;
  const char* op;
};
// A call that takes no tx= and always runs in a fresh context (the service calls that never join a
// transaction: login, profiles, …): DefCall(c, NoTx{"login"}, …).
struct NoTx {
  const char* name;
};

// The members of a request struct, in the order of their Python arguments.
template <auto... Members>
struct Fields {};

// A member whose argument crosses through Conv (Conv::Py from Python, Conv::From(Py, Where) → T)
// instead of ArgOf<T>: Json(&S::metadata), Upper(&S::visibility).
template <typename Conv, typename S, typename T>
struct ConvMember {
  T S::*member;
};
template <typename T>
struct JsonArgOf;
template <typename T>
struct UpperArgOf;
// A member holding a JSON object's text (metadata, evidence): its argument is a str (passed as given)
// or any object json.dumps serializes; None leaves an optional member unset.
template <typename S, typename T>
constexpr ConvMember<JsonArgOf<T>, S, T> Json(T S::*member) {
  return {member};
}
// A member holding an upper-case name (visibility, status): the argument is upper-cased as given.
template <typename S, typename T>
constexpr ConvMember<UpperArgOf<T>, S, T> Upper(T S::*member) {
  return {member};
}

// Where an argument is converted: the error messages name the operation and the argument.
struct Where {
  std::string_view op;
  std::string_view field;
};

// How a C++ parameter of type T crosses from Python: pybind11 converts the argument to Py, From
// makes T of it. `Kind` is the repository traits (for field masks), or void.
template <typename Kind, typename T, typename = void>
struct ArgOf {
  using Py = T;
  static T From(Py v, const Where&) { return v; }
};
template <typename Kind, typename Tag>
struct ArgOf<Kind, StrongId<Tag>> {
  using Py = int64_t;
  static StrongId<Tag> From(int64_t v, const Where&) { return StrongId<Tag>{v}; }
};
template <typename Kind, typename Tag>
struct ArgOf<Kind, std::optional<StrongId<Tag>>> {
  using Py = std::optional<int64_t>;
  static std::optional<StrongId<Tag>> From(const Py& v, const Where&) { return OptId<StrongId<Tag>>(v); }
};
template <typename Kind, typename Tag>
struct ArgOf<Kind, std::vector<StrongId<Tag>>> {
  using Py = std::vector<int64_t>;
  static std::vector<StrongId<Tag>> From(const Py& v, const Where&) { return IdsOf<StrongId<Tag>>(v); }
};
template <typename Kind>
struct ArgOf<Kind, std::optional<Clock::TimePoint>> {
  using Py = py::object;
  static std::optional<Clock::TimePoint> From(const py::object& v, const Where&) { return OptTimeArg(v); }
};
template <typename Kind, typename E>
struct ArgOf<Kind, E, std::enable_if_t<std::is_enum_v<E>>> {
  using Py = std::string;
  static E From(std::string v, const Where& w) { return EnumArg<E>(w.op, w.field, std::move(v)); }
};
template <typename Kind, typename E>
struct ArgOf<Kind, std::optional<E>, std::enable_if_t<std::is_enum_v<E>>> {
  using Py = std::optional<std::string>;
  static std::optional<E> From(const Py& v, const Where& w) { return OptEnumArg<E>(w.op, w.field, v); }
};
// `fields`: the repository's mask (MaskArg).
template <typename Kind, typename E>
struct ArgOf<Kind, query::FieldMask<E>> {
  using Py = py::object;
  static query::FieldMask<E> From(const py::object& v, const Where&) { return MaskArg<Kind>(v); }
};
// A string_view parameter is held as the argument's std::string (alive for the whole call).
template <typename Kind>
struct ArgOf<Kind, std::string_view> {
  using Py = std::string;
  static std::string From(std::string v, const Where&) { return v; }
};
template <typename Kind>
struct ArgOf<Kind, std::optional<std::string_view>> {
  using Py = std::optional<std::string>;
  static std::optional<std::string> From(Py v, const Where&) { return v; }
};

template <typename Kind, typename Tag>
struct ArgOf<Kind, std::span<const StrongId<Tag>>> {
  using Py = std::vector<int64_t>;
  static std::vector<StrongId<Tag>> From(const Py& v, const Where&) { return IdsOf<StrongId<Tag>>(v); }
};

template <typename T>
struct UpperArgOf {
  using Py = T;
  static T From(T v, const Where&) {
    if constexpr (std::is_same_v<T, std::string>) {
      return UpperName(std::move(v));
    } else {
      if (v.has_value()) v = UpperName(std::move(*v));
      return v;
    }
  }
};

template <typename T>
struct JsonArgOf {
  using Py = py::object;
  static T From(const py::object& v, const Where&) {
    if constexpr (std::is_same_v<T, std::string>) {
      return JsonArg(v);
    } else {
      return OptJsonArg(v);
    }
  }
};

namespace call_internal {

template <typename... T>
struct TypeList {};

// The parameters of a service method after its RequestContext, without references and const.
template <typename M>
struct MethodParams;
template <typename S, typename R, typename... A>
struct MethodParams<R (S::*)(const RequestContext&, A...)> {
  using type = TypeList<std::remove_cvref_t<A>...>;
};
template <typename S, typename R, typename... A>
struct MethodParams<R (S::*)(const RequestContext&, A...) const> {
  using type = TypeList<std::remove_cvref_t<A>...>;
};
// A method without a RequestContext (presence, typing, the hub): all its parameters.
template <typename S, typename R, typename... A>
struct MethodParams<R (S::*)(A...)> {
  using type = TypeList<std::remove_cvref_t<A>...>;
};

// A listed member of a request struct: its pointer, its struct and how its argument crosses.
template <auto M>
struct MemberInfo;
template <typename S, typename T, T S::*M>
struct MemberInfo<M> {
  using Struct = S;
  template <typename Kind>
  using Arg = ArgOf<Kind, T>;
  static constexpr T S::*kPtr = M;
};
template <typename Conv, typename S, typename T, ConvMember<Conv, S, T> M>
struct MemberInfo<M> {
  using Struct = S;
  template <typename Kind>
  using Arg = Conv;
  static constexpr T S::*kPtr = M.member;
};

template <auto F, auto... Rest>
struct First {
  static constexpr auto value = F;
};

// The names of the py::arg annotations among `extra`, in order (the Python arguments' names).
template <size_t N, typename... Extra>
std::array<const char*, N> ArgNames(const Extra&... extra) {
  std::array<const char*, N> names{};
  size_t i = 0;
  auto take = [&](const auto& e) {
    if constexpr (std::is_base_of_v<py::arg, std::decay_t<decltype(e)>>) {
      if (i < N) names[i++] = e.name;
    }
  };
  (take(extra), ...);
  return names;
}

inline const char* NameOf(const char* name) { return name; }
inline const char* NameOf(const Named& n) { return n.name; }
inline const char* NameOf(const NoTx& n) { return n.name; }
inline const char* OpOf(const char* name) { return name; }
inline const char* OpOf(const Named& n) { return n.op; }
inline const char* OpOf(const NoTx& n) { return n.name; }

// Binds fn(Api&, Py..., TxState*) as `name`, or fn(Api&, Py...) with no tx when Name is NoTx.
template <typename Api, typename Name, typename Fn, typename... Py, typename... Extra>
void DefFn(py::class_<Api>& c, const Name& name, Fn fn, TypeList<Py...>, Extra&&... extra) {
  if constexpr (std::is_same_v<Name, NoTx>) {
    c.def(
        NameOf(name), [fn](Api& a, Py... args) { return fn(a, std::move(args)..., nullptr); },
        std::forward<Extra>(extra)...);
  } else {
    c.def(NameOf(name), fn, std::forward<Extra>(extra)...);
  }
}

// (accessor(p).*method)(ctx, args...) inside `tx` (CallIn), its result through Out when given.
template <auto Service, auto Method, auto Out, typename Api, typename... A>
auto Run(Api& a, TxState* tx, A&&... args) {
  auto result = [&] {
    return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
      if constexpr (std::is_invocable_v<decltype(Method), decltype(std::invoke(Service, p)),
                                        const RequestContext&, A&...>) {
        return (std::invoke(Service, p).*Method)(ctx, args...);
      } else {
        return (std::invoke(Service, p).*Method)(args...);  // a method without a RequestContext
      }
    });
  };
  using R = decltype(result());
  if constexpr (std::is_void_v<R>) {
    result();
  } else if constexpr (std::is_null_pointer_v<decltype(Out)>) {
    return result();
  } else {
    return Out(result());
  }
}

template <auto Service, auto Method, auto Out, typename Kind, typename Api, typename Params>
struct CallBinding;
template <auto Service, auto Method, auto Out, typename Kind, typename Api, typename... P>
struct CallBinding<Service, Method, Out, Kind, Api, TypeList<P...>> {
  template <typename Name, typename... Extra>
  static void Def(py::class_<Api>& c, const Name& name, Extra&&... extra) {
    const auto names = ArgNames<sizeof...(P)>(extra...);
    const char* op = OpOf(name);
    DefFn(
        c, name,
        [names, op](Api& a, typename ArgOf<Kind, P>::Py... args, TxState* tx) {
          return Apply(a, tx, names, op, std::index_sequence_for<P...>{}, std::move(args)...);
        },
        TypeList<typename ArgOf<Kind, P>::Py...>{}, std::forward<Extra>(extra)...);
  }
  template <size_t... I>
  static auto Apply(Api& a, TxState* tx, [[maybe_unused]] const std::array<const char*, sizeof...(P)>& names,
                    [[maybe_unused]] const char* op, std::index_sequence<I...>,
                    typename ArgOf<Kind, P>::Py... args) {
    // A braced list converts left to right: the first bad argument is the one reported.
    std::tuple<decltype(ArgOf<Kind, P>::From(std::move(args), Where{}))...> values{
        ArgOf<Kind, P>::From(std::move(args), Where{op, names[I]})...};
    return std::apply([&](auto&... v) { return Run<Service, Method, Out>(a, tx, v...); }, values);
  }
};

// The method's parameters are P... (one Python argument each), then the request structs R... (one
// Python argument per listed member, each member setting its own struct: Login's LoginRequest and
// DeviceInfo).
template <auto Service, auto Method, auto Out, typename Kind, typename Api, typename Leading,
          typename Requests, typename Members>
struct RequestBinding;
template <auto Service, auto Method, auto Out, typename Kind, typename Api, typename... P, typename... R,
          auto... M>
struct RequestBinding<Service, Method, Out, Kind, Api, TypeList<P...>, TypeList<R...>, Fields<M...>> {
  static constexpr size_t kArgs = sizeof...(P) + sizeof...(M);
  template <typename Name, typename... Extra>
  static void Def(py::class_<Api>& c, const Name& name, Extra&&... extra) {
    const auto names = ArgNames<kArgs>(extra...);
    const char* op = OpOf(name);
    DefFn(
        c, name,
        [names, op](Api& a, typename ArgOf<Kind, P>::Py... keys,
                    typename MemberInfo<M>::template Arg<Kind>::Py... args, TxState* tx) {
          return Apply(a, tx, names, op, std::index_sequence_for<P...>{},
                       std::index_sequence_for<decltype(M)...>{}, std::move(keys)..., std::move(args)...);
        },
        TypeList<typename ArgOf<Kind, P>::Py..., typename MemberInfo<M>::template Arg<Kind>::Py...>{},
        std::forward<Extra>(extra)...);
  }
  template <size_t... I, size_t... J>
  static auto Apply(Api& a, TxState* tx, [[maybe_unused]] const std::array<const char*, kArgs>& names,
                    [[maybe_unused]] const char* op, std::index_sequence<I...>, std::index_sequence<J...>,
                    typename ArgOf<Kind, P>::Py... keys,
                    typename MemberInfo<M>::template Arg<Kind>::Py... args) {
    std::tuple<decltype(ArgOf<Kind, P>::From(std::move(keys), Where{}))...> lead{
        ArgOf<Kind, P>::From(std::move(keys), Where{op, names[I]})...};
    std::tuple<R...> reqs{};
    ((std::get<typename MemberInfo<M>::Struct>(reqs).*MemberInfo<M>::kPtr =
          MemberInfo<M>::template Arg<Kind>::From(std::move(args), Where{op, names[sizeof...(P) + J]})),
     ...);
    return std::apply(
        [&](auto&... k) {
          return std::apply([&](auto&... r) { return Run<Service, Method, Out>(a, tx, k..., r...); }, reqs);
        },
        lead);
  }
};

// How many of a method's trailing parameters are request structs some listed member belongs to.
template <typename T, auto... M>
constexpr bool kIsRequest = (std::is_same_v<T, typename MemberInfo<M>::Struct> || ...);
template <typename Params, typename Members>
struct RequestCount;
template <typename... A, auto... M>
struct RequestCount<TypeList<A...>, Fields<M...>> {
  static constexpr size_t value = (0 + ... + (kIsRequest<A, M...> ? size_t{1} : size_t{0}));
};

// A paged call: the method's parameters are B..., const PageRequest&, A...; Python passes B…, limit,
// cursor, A…, tx (no tx for NoTx) and gets a Page that fetches its successors the same way (inside
// the same tx). Limit is the Python type of `limit` (int or int64_t, as the call always had).
template <auto Service, auto Method, typename Kind, typename Limit, typename Api, typename Before,
          typename After>
struct PageBinding;
template <auto Service, auto Method, typename Kind, typename Limit, typename Api, typename... B,
          typename... A>
struct PageBinding<Service, Method, Kind, Limit, Api, TypeList<B...>, TypeList<A...>> {
  static constexpr size_t kArgs = sizeof...(B) + 2 + sizeof...(A);
  template <typename Name, typename... Extra>
  static void Def(py::class_<Api>& c, const Name& name, Extra&&... extra) {
    const auto names = ArgNames<kArgs>(extra...);
    const char* op = OpOf(name);
    DefFn(
        c, name,
        [names, op](Api& a, typename ArgOf<Kind, B>::Py... before, Limit limit, std::string cursor,
                    typename ArgOf<Kind, A>::Py... after, TxState* tx) {
          return Apply(a, tx, names, op, std::index_sequence_for<B...>{}, std::index_sequence_for<A...>{},
                       limit, cursor, std::move(before)..., std::move(after)...);
        },
        TypeList<typename ArgOf<Kind, B>::Py..., Limit, std::string, typename ArgOf<Kind, A>::Py...>{},
        std::forward<Extra>(extra)...);
  }
  template <size_t... I, size_t... J>
  static PyPage Apply(Api& a, TxState* tx, [[maybe_unused]] const std::array<const char*, kArgs>& names,
                      [[maybe_unused]] const char* op, std::index_sequence<I...>, std::index_sequence<J...>,
                      Limit limit, const std::string& cursor, typename ArgOf<Kind, B>::Py... before,
                      typename ArgOf<Kind, A>::Py... after) {
    std::tuple<decltype(ArgOf<Kind, B>::From(std::move(before), Where{}))...> lead{
        ArgOf<Kind, B>::From(std::move(before), Where{op, names[I]})...};
    std::tuple<decltype(ArgOf<Kind, A>::From(std::move(after), Where{}))...> tail{
        ArgOf<Kind, A>::From(std::move(after), Where{op, names[sizeof...(B) + 2 + J]})...};
    auto fetch = [lead = std::move(lead), tail = std::move(tail)](Platform& p, const RequestContext& ctx,
                                                                  const query::PageRequest& r) {
      return std::apply(
          [&](const auto&... b) {
            return std::apply(
                [&](const auto&... t) { return (std::invoke(Service, p).*Method)(ctx, b..., r, t...); },
                tail);
          },
          lead);
    };
    return ListPage(a.core, tx, limit, cursor, std::move(fetch));
  }
};

// The first N types of a list.
template <size_t N, typename L, typename Out = TypeList<>>
struct Take;
template <typename... Done, typename L>
struct Take<0, L, TypeList<Done...>> {
  using type = TypeList<Done...>;
};
template <size_t N, typename H, typename... T, typename... Done>
requires(N > 0) struct Take<N, TypeList<H, T...>, TypeList<Done...>> {
  using type = typename Take<N - 1, TypeList<T...>, TypeList<Done..., H>>::type;
};
// The types of a list after its first N.
template <size_t N, typename L>
struct Drop;
template <typename... T>
struct Drop<0, TypeList<T...>> {
  using type = TypeList<T...>;
};
template <size_t N, typename H, typename... T>
requires(N > 0) struct Drop<N, TypeList<H, T...>> {
  using type = typename Drop<N - 1, TypeList<T...>>::type;
};
// The index of T in a list.
template <typename T, typename L>
struct IndexOf;
template <typename T, typename... R>
struct IndexOf<T, TypeList<T, R...>> {
  static constexpr size_t value = 0;
};
template <typename T, typename H, typename... R>
struct IndexOf<T, TypeList<H, R...>> {
  static constexpr size_t value = 1 + IndexOf<T, TypeList<R...>>::value;
};
template <typename L>
struct Size;
template <typename... T>
struct Size<TypeList<T...>> {
  static constexpr size_t value = sizeof...(T);
};

}  // namespace call_internal

// The repository class behind traits (services::FollowRepository for FollowsTraits).
template <typename Kind>
using RepoOf = std::remove_reference_t<decltype(Kind::Repo(std::declval<Platform&>()))>;

// The keyword arguments of a DefList call after its keys.
#define DAIRA_PY_LIST_ARGS \
  py::kw_only(), py::arg("limit") = 20, py::arg("cursor") = "", py::arg("fields") = py::none(), TxArg()

// Binds `name` (or Named{name, op}) as a call of (accessor(p).*Method)(ctx, args…): one Python argument
// per parameter, then tx (see above). `extra` are pybind11's annotations: the py::args in order, then
// the docstring.
template <auto Service, auto Method, auto Out = nullptr, typename Kind = void, typename Api, typename Name,
          typename... Extra>
void DefCall(py::class_<Api>& c, const Name& name, Extra&&... extra) {
  using Params = typename call_internal::MethodParams<decltype(Method)>::type;
  call_internal::CallBinding<Service, Method, Out, Kind, Api, Params>::Def(c, name,
                                                                           std::forward<Extra>(extra)...);
}

// Binds `name` as a call of (accessor(p).*Method)(ctx, args…, requests…): one Python argument per
// parameter before the request structs, then one per listed member of the structs (the others keep
// their defaults; Json(&S::metadata) for a JSON member, Upper(&S::visibility) for an upper-cased name),
// then tx (none when `name` is NoTx{…}).
template <auto Service, auto Method, typename Members, auto Out = nullptr, typename Kind = void, typename Api,
          typename Name, typename... Extra>
void DefRequest(py::class_<Api>& c, const Name& name, Extra&&... extra) {
  using Params = typename call_internal::MethodParams<decltype(Method)>::type;
  constexpr size_t kLeading =
      call_internal::Size<Params>::value - call_internal::RequestCount<Params, Members>::value;
  using Leading = typename call_internal::Take<kLeading, Params>::type;
  using Requests = typename call_internal::Drop<kLeading, Params>::type;
  call_internal::RequestBinding<Service, Method, Out, Kind, Api, Leading, Requests, Members>::Def(
      c, name, std::forward<Extra>(extra)...);
}

// Binds a paged call (accessor(p).*Method)(ctx, before…, page, after…): (before…, *, limit, cursor,
// after…, tx) → a Page that fetches its successors the same way (see PageBinding).
template <auto Service, auto Method, typename Limit = int64_t, typename Kind = void, typename Api,
          typename Name, typename... Extra>
void DefPage(py::class_<Api>& c, const Name& name, Extra&&... extra) {
  using Params = typename call_internal::MethodParams<decltype(Method)>::type;
  constexpr size_t kPage = call_internal::IndexOf<query::PageRequest, Params>::value;
  using Before = typename call_internal::Take<kPage, Params>::type;
  using After = typename call_internal::Drop<kPage + 1, Params>::type;
  call_internal::PageBinding<Service, Method, Kind, Limit, Api, Before, After>::Def(
      c, name, std::forward<Extra>(extra)...);
}

// Binds a repository list: (keys…, *, limit, cursor, fields, tx) → a Page of (Kind::Repo(p).*Method)(ctx,
// keys…, page, mask) that fetches its successors the same way.
template <typename Kind, auto Method, typename Name, typename... Extra>
void DefList(py::class_<typename Kind::Api>& c, const Name& name, Extra&&... extra) {
  DefPage<&Kind::Repo, Method, int, Kind>(c, name, std::forward<Extra>(extra)...);
}

// A repository call (finders, counts): DefCall with the traits' accessor and masks.
template <typename Kind, auto Method, typename Name, typename... Extra>
void DefRepoCall(py::class_<typename Kind::Api>& c, const Name& name, Extra&&... extra) {
  DefCall<&Kind::Repo, Method, nullptr, Kind>(c, name, std::forward<Extra>(extra)...);
}
// A repository call whose one parameter is a filter/request struct built from the listed members.
template <typename Kind, auto Method, typename Members, typename Name, typename... Extra>
void DefRepoRequest(py::class_<typename Kind::Api>& c, const Name& name, Extra&&... extra) {
  DefRequest<&Kind::Repo, Method, Members, nullptr, Kind>(c, name, std::forward<Extra>(extra)...);
}

}  // namespace daira::python
