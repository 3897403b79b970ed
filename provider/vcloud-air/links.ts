/**
 * 5.6 is navigated by its links, never by URLs built by hand. A link is a full URL; the HTTP
 * client sends paths relative to its base, so a link becomes such a path, and only a link to the
 * same server: the session token must never go to a host the stack config did not name.
 */
import { Link } from "./schemas";

export class ForeignLinkError extends Error {}

/** `href` as a path relative to `baseUrl` (no leading slash, query kept); a link elsewhere is refused. */
export function linkPath(baseUrl: string, href: string): string {
  const base = new URL(baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`);
  const target = new URL(href, base);
  if (target.origin !== base.origin || !target.pathname.startsWith(base.pathname))
    throw new ForeignLinkError(`the link ${href} leads away from ${baseUrl}; it is not followed`);
  return `${target.pathname.slice(base.pathname.length)}${target.search}`;
}

/** The first link with this relation and, when given, a media type containing `typeIncludes`. */
export function findLink(links: Link[], rel: string, typeIncludes?: string): Link | undefined {
  return links.find(
    (l) => l["@rel"] === rel && (typeIncludes === undefined || (l["@type"] ?? "").includes(typeIncludes)),
  );
}
