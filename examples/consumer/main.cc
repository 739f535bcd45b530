// The smallest program using an installed daira: open an in-memory SQLite database, write and read
// inside a transaction, print one line. scripts/test expects the line to start with "daira consumer: ok".
#include <iostream>

#include "daira/daira.h"

int main() {
  namespace store = daira::store;
  auto db = store::Database::Open("sqlite::memory:");
  if (!db.ok()) {
    std::cerr << "daira consumer: open failed: " << db.status() << "\n";
    return 1;
  }
  daira::RequestContext ctx;
  absl::Status st = (*db)->RunInTransaction(ctx, [](store::Connection& conn) -> absl::Status {
    DAIRA_RETURN_IF_ERROR(conn.Execute("CREATE TABLE greetings (id INTEGER PRIMARY KEY, text TEXT)").status());
    return conn.Execute("INSERT INTO greetings (text) VALUES (?)", {"hello"}).status();
  });
  if (!st.ok()) {
    std::cerr << "daira consumer: transaction failed: " << st << "\n";
    return 1;
  }
  auto rs = (*db)->Execute(ctx, "SELECT text, count(*) AS n FROM greetings");
  if (!rs.ok()) {
    std::cerr << "daira consumer: read failed: " << rs.status() << "\n";
    return 1;
  }
  // Media storage: opening an s3: store (no request is made) links the libcurl a static daira carries.
  auto blobs =
      daira::blob::Store::Open("s3://consumer-check?endpoint=http://127.0.0.1:9&access_key=a&secret_key=b");
  if (!blobs.ok()) {
    std::cerr << "daira consumer: blob store failed: " << blobs.status() << "\n";
    return 1;
  }
  std::cout << "daira consumer: ok (daira " << daira::Version() << ", " << (*db)->endpoint() << ", "
            << rs->front().Text("text") << " x" << rs->front().Int64("n") << ", blobs " << (*blobs)->Name()
            << ")\n";
  return 0;
}
