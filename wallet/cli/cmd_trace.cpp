// `circuledger trace ID`: the provenance graph behind (--backward) or built from (--forward) a lot
// or product, as an indented tree (first page) or a node table with an edge list (later pages).
#include <algorithm>
#include <map>
#include <ostream>
#include <set>

#include "wallet/builder.h"
#include "wallet/cli/context.h"
#include "wallet/cli/output.h"

namespace circuledger::wallet::cli {

using nlohmann::json;

namespace {

std::string Describe(const json& n) {
  if (!n.contains("kind")) return "(no longer in state)";
  std::string kind = n.at("kind").get<std::string>();
  if (n.contains("category")) kind += " " + n.at("category").get<std::string>();
  return "[" + kind + ", " + n.at("owner").get<std::string>() + ", " +
         n.at("status").get<std::string>() + "] " + CompositionSummary(n.at("composition"));
}

class TreePrinter {
 public:
  TreePrinter(std::ostream& out, const json& trace, bool backward) : out_(out) {
    for (const json& n : trace.at("nodes")) nodes_[n.at("id").get<std::string>()] = &n;
    for (const json& e : trace.at("edges")) {
      const std::string from = e.at("from").get<std::string>();
      const std::string to = e.at("to").get<std::string>();
      auto& list = backward ? next_[to] : next_[from];
      const std::string& other = backward ? from : to;
      if (std::find(list.begin(), list.end(), other) == list.end()) list.push_back(other);
    }
  }

  void Print(const std::string& root) {
    out_ << root << "  " << Label(root) << "\n";
    seen_.insert(root);
    Children(root, "");
  }

 private:
  std::string Label(const std::string& id) const {
    auto it = nodes_.find(id);
    return it == nodes_.end() ? "(beyond this page)" : Describe(*it->second);
  }

  void Children(const std::string& id, const std::string& prefix) {
    auto it = next_.find(id);
    if (it == next_.end()) return;
    const std::vector<std::string>& kids = it->second;
    for (size_t i = 0; i < kids.size(); ++i) {
      const bool last = i + 1 == kids.size();
      const std::string& kid = kids[i];
      out_ << prefix << (last ? "`-- " : "|-- ") << kid << "  ";
      // A DAG: an item reached twice (a lot split and re-joined) is expanded once.
      if (!seen_.insert(kid).second) {
        out_ << "(see above)\n";
        continue;
      }
      out_ << Label(kid) << "\n";
      Children(kid, prefix + (last ? "    " : "|   "));
    }
  }

  std::ostream& out_;
  std::map<std::string, const json*> nodes_;
  std::map<std::string, std::vector<std::string>> next_;
  std::set<std::string> seen_;
};

void PrintTrace(std::ostream& out, const json& t, const std::string& id, bool backward,
                uint64_t offset) {
  const json& nodes = t.at("nodes");
  const json& edges = t.at("edges");
  out << (backward ? "backward" : "forward") << " trace of " << id << ": " << nodes.size()
      << " nodes, " << edges.size() << " edges"
      << (offset > 0 ? " (from node " + std::to_string(offset) + ")" : "") << "\n\n";
  if (offset == 0) {
    TreePrinter(out, t, backward).Print(id);
  } else {
    Table n({"DEPTH", "ID", "KIND", "OWNER", "STATUS", "COMPOSITION"}, {true});
    for (const json& node : nodes) {
      const bool known = node.contains("kind");
      n.Add({std::to_string(node.at("depth").get<uint64_t>()), node.at("id").get<std::string>(),
             known ? node.at("kind").get<std::string>() : "-",
             known ? node.at("owner").get<std::string>() : "-",
             known ? node.at("status").get<std::string>() : "-",
             known ? CompositionSummary(node.at("composition")) : "-"});
    }
    n.Print(out);
    out << "\nedges (parent -> child)\n";
    for (const json& e : edges)
      out << "  " << e.at("from").get<std::string>() << " -> " << e.at("to").get<std::string>()
          << "\n";
  }
  if (t.at("truncated").get<bool>()) {
    out << "\nmore nodes follow: add --offset " << offset + t.at("limit").get<uint64_t>() << "\n";
  }
}

int Trace(Context& ctx, const ParsedArgs& a) {
  if (a.Has("--backward") && a.Has("--forward"))
    return ctx.Usage("give --backward or --forward, not both");
  const bool backward = !a.Has("--forward");
  std::string query = std::string("direction=") + (backward ? "backward" : "forward");
  uint64_t offset = 0;
  for (const char* opt : {"--depth", "--limit", "--offset"}) {
    if (!a.Has(opt)) continue;
    Result<uint64_t> v = ParseU64(a.Get(opt), opt);
    if (!v.ok()) return ctx.Usage(v.status().message());
    query += std::string("&") + (opt + 2) + "=" + std::to_string(*v);
    if (std::string_view(opt) == "--offset") offset = *v;
  }
  Result<const Client*> c = ctx.client();
  if (!c.ok()) return ctx.Usage(c.status().message());
  const std::string& id = a.positionals[0];
  // Lots and products share one id space: ask for a lot first, then a product.
  Result<json> t = Status::NotFound("");
  for (const char* kind : {"lots", "products"}) {
    t = GetJson(**c, std::string("/v1/") + kind + "/" + PercentEncode(id) + "/trace?" + query);
    if (!t.ok() && t.status().IsNotFound()) continue;
    break;
  }
  if (!t.ok()) {
    if (t.status().IsNotFound()) return ctx.Fail(Status::NotFound("no lot or product " + id));
    return t.status().IsInvalidArgument() ? ctx.Usage(t.status().message()) : ctx.Fail(t.status());
  }
  if (ctx.json()) {
    ctx.out() << t->dump(2) << "\n";
  } else {
    PrintTrace(ctx.out(), *t, id, backward, offset);
  }
  return kExitOk;
}

}  // namespace

std::vector<Command> TraceCommands() {
  return {
      {{"trace"},
       "ID [--backward|--forward] [--depth N] [--limit N] [--offset N]",
       "the provenance graph of a lot or product: what it came from, or what it became",
       "--backward (default) walks to the origins, --forward to what was made from it. --depth "
       "bounds\n"
       "the edges from ID (node default 64), --limit the nodes per page (node default 1000); page "
       "on\n"
       "with --offset. The first page prints as a tree; later pages as a node table and edge list.",
       {{"--backward", false, false, false},
        {"--forward", false, false, false},
        {"--depth", true, false, false},
        {"--limit", true, false, false},
        {"--offset", true, false, false}},
       1,
       1,
       Trace},
  };
}

}  // namespace circuledger::wallet::cli
