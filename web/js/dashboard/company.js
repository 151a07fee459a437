// Dashboard → Company: for a company owner, the invite code (shown once, right after the
// company was created: the server keeps only its digest) and the members, with removal after
// a confirmation; for a member, what membership means; for anyone else, joining with a code.
import { OnepizzaError } from "/sdk/onepizza.js";
import { copyText, errorText, say, when, whileBusy } from "../account/common.js";
import { confirmAction } from "../account/confirm.js";

const $ = (id) => document.getElementById(id);

export async function init(op, me, { welcome = {} } = {}) {
  const error = $("company-error");
  const ok = $("company-ok");
  const list = $("member-list");

  if (welcome.inviteCode) {
    $("company-invite-code").textContent = welcome.inviteCode;
    $("company-invite").hidden = false;
    $("company-invite-copy").addEventListener("click", () =>
      copyText(welcome.inviteCode, $("company-invite-copied"), "Invite code copied"),
    );
  }

  function memberRow(member) {
    const li = document.createElement("li");
    li.className = "row";
    li.dataset.memberId = String(member.id);
    const main = document.createElement("div");
    main.className = "row-main";
    const email = document.createElement("span");
    email.className = "row-title";
    email.textContent = member.email;
    const meta = document.createElement("span");
    meta.className = "row-meta";
    meta.textContent = `${member.role === "owner" ? "Owner" : "Member"} · joined ${when(member.joined_at)}`;
    main.append(email, meta);
    li.append(main);
    if (member.role !== "owner") {
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "small";
      remove.textContent = "Remove";
      remove.setAttribute("aria-label", `Remove ${member.email}`);
      remove.addEventListener("click", () => removeMember(member));
      li.append(remove);
    }
    return li;
  }

  async function refreshMembers() {
    const { members } = await op.company.members();
    list.replaceChildren(...members.map(memberRow));
  }

  async function removeMember(member) {
    const sure = await confirmAction({
      title: `Remove ${member.email}?`,
      text: "They keep their account but no longer use the company's balance. What they brought stays with the company.",
      confirmLabel: "Remove member",
    });
    if (!sure) return;
    say(error, "");
    say(ok, "");
    try {
      await op.company.removeMember(member.id);
      await refreshMembers();
      say(ok, `${member.email} was removed from the company.`);
    } catch (failure) {
      say(error, errorText(failure));
    }
    $("members-title").focus();
  }

  function showJoin() {
    const form = $("company-join");
    form.hidden = false;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      say(error, "");
      say(ok, "");
      const code = form.elements.inviteCode.value.trim();
      try {
        const joined = await whileBusy($("company-join-button"), "Joining…", () => op.company.join(code));
        form.hidden = true;
        $("company-member").hidden = false;
        say(ok, `You joined ${joined.companyName}. Your meetings are now paid from its balance.`);
        document.dispatchEvent(new CustomEvent("onepizza:balance-changed"));
      } catch (failure) {
        say(error, errorText(failure));
      }
    });
  }

  if (me.company_id === null || me.company_id === undefined) {
    showJoin();
    return;
  }
  try {
    await refreshMembers();
    $("company-owner").hidden = false;
  } catch (failure) {
    if (!(failure instanceof OnepizzaError && failure.status === 403)) throw failure;
    $("company-member").hidden = false; // only the owner manages members
  }
}
