// The kinds of filing a resident can make, and the common phrases offered for each so
// that nobody needs to type Chinese on a touchscreen to be heard.
import type { ComplaintKind } from "./bindings/ComplaintKind";
import { COMPLAINT_KINDS } from "./bindings/complaintKinds";

export interface KindInfo {
  kind: ComplaintKind;
  /** The kind's name, the same on the tile, the receipt and in the console (from Rust). */
  label: string;
  hint: string;
  /** Name and phone are required (依申请公开). */
  contact: boolean;
}

/** What each kind is for, in a resident's words: the only part written here. */
const HINTS: Record<ComplaintKind, string> = {
  complaint: "办事不顺、服务态度、乱收费",
  report: "违纪违法、虚报冒领",
  suggestion: "村里的事、公共设施",
  inquiry: "政策、办事怎么办",
  disclosure_request: "申请政府信息公开（需留姓名电话）",
  board_objection: "对移民公示有不同意见",
};

export const KINDS: KindInfo[] = COMPLAINT_KINDS.map((k) => ({
  kind: k.kind,
  label: k.label,
  hint: HINTS[k.kind],
  contact: k.requiresContact,
}));

export const PHRASES: Record<ComplaintKind, string[]> = {
  complaint: ["办事多次跑腿", "窗口工作人员不在岗", "答复超过承诺时限", "收费没有公示", "服务态度不好"],
  report: ["冒领补贴", "虚报移民人口", "优亲厚友", "挪用集体资金", "村务公开造假"],
  suggestion: ["路灯坏了", "道路需要维修", "垃圾清运不及时", "希望增加公交班次", "文化广场需要修缮"],
  inquiry: ["低保怎么申请", "补贴什么时候发", "医保怎么缴费", "宅基地怎么审批", "养老保险怎么办"],
  disclosure_request: ["申请公开村级财务收支明细", "申请公开补贴发放名单", "申请公开项目招投标情况", "申请公开征地补偿标准"],
  board_objection: ["本户人口核定有误", "实物指标登记有误", "补偿金额计算有误", "有人不应列入移民名单"],
};
