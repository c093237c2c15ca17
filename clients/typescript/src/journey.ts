// A resident's first order, typed from the committed OpenAPI document: `npm run check` fails
// when a change to the document breaks what a client written against it relies on.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

type OrderAction = components["schemas"]["OrderAction"];
type Problem = components["schemas"]["Problem"];

export async function firstOrder(baseUrl: string, phone: string, password: string): Promise<OrderAction[]> {
  const api = createClient<paths>({ baseUrl });

  const login = await api.POST("/api/v1/auth/login", { body: { phone, password } });
  if (login.error) {
    throw new Error(describe(login.error));
  }
  const tokens = login.data;
  const auth = { Authorization: `Bearer ${tokens.access_token}` };

  const items = await api.GET("/api/v1/service-items", { params: { query: { page: 1, page_size: 20 } } });
  if (items.error) {
    throw new Error(describe(items.error));
  }
  const item = items.data.items[0];
  if (item === undefined) {
    throw new Error("this station offers no service items yet");
  }

  const placed = await api.POST("/api/v1/orders", {
    headers: { ...auth, "Idempotency-Key": crypto.randomUUID() },
    body: {
      title: "代买降压药",
      description: "腿脚不便，需要志愿者帮忙到社区医院取药",
      platform_id: item.platform_id,
      service_item_id: item.id,
      address: "东湖路 88 号 3 栋 2 单元 501",
      contact_phone: phone,
    },
  });
  if (placed.error) {
    throw new Error(describe(placed.error));
  }
  const order = placed.data;
  const status: components["schemas"]["OrderStatus"] = order.status;

  const read = await api.GET("/api/v1/orders/{id}", { params: { path: { id: order.id } }, headers: auth });
  if (read.error) {
    throw new Error(describe(read.error));
  }
  const actions: OrderAction[] = read.data.allowed_actions;
  if (status === "submitted" && !actions.includes("cancel")) {
    throw new Error("a resident may cancel an order that waits for dispatch");
  }
  return actions;
}

function describe(problem: Problem): string {
  const code: Problem["code"] = problem.code;
  return `${problem.status} ${code}: ${problem.detail}`;
}
