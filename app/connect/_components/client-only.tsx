'use client';

/**
 * The iframe pages' interactive parts, rendered in the browser only. They need a context token from AP
 * before they can show anything, so rendering them on the server would cost every page load time and
 * buy nothing; the server sends a small shell and the browser does the rest.
 */
import dynamic from 'next/dynamic';

const loading = () => <p>Loading notes…</p>;

export const IssueNotes = dynamic(() => import('./ConnectNotes').then((m) => m.ConnectIssueNotes), { ssr: false, loading });
export const RecentNotes = dynamic(() => import('./ConnectNotes').then((m) => m.ConnectRecentNotes), { ssr: false, loading });
