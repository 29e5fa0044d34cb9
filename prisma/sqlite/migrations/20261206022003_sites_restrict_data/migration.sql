-- AlterTable
ALTER TABLE "Tenant" ADD COLUMN "lastInstallIat" INTEGER;

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Note" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "siteId" TEXT NOT NULL,
    "issueKey" TEXT NOT NULL,
    "projectKey" TEXT,
    "authorAccountId" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Note_siteId_fkey" FOREIGN KEY ("siteId") REFERENCES "Site" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_Note" ("authorAccountId", "createdAt", "id", "issueKey", "projectKey", "siteId", "text") SELECT "authorAccountId", "createdAt", "id", "issueKey", "projectKey", "siteId", "text" FROM "Note";
DROP TABLE "Note";
ALTER TABLE "new_Note" RENAME TO "Note";
CREATE INDEX "Note_siteId_issueKey_idx" ON "Note"("siteId", "issueKey");
CREATE INDEX "Note_siteId_createdAt_idx" ON "Note"("siteId", "createdAt");
CREATE TABLE "new_WebhookDelivery" (
    "siteId" TEXT NOT NULL,
    "webhookId" TEXT NOT NULL,
    "event" TEXT NOT NULL,
    "receivedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("siteId", "webhookId"),
    CONSTRAINT "WebhookDelivery_siteId_fkey" FOREIGN KEY ("siteId") REFERENCES "Site" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_WebhookDelivery" ("event", "receivedAt", "siteId", "webhookId") SELECT "event", "receivedAt", "siteId", "webhookId" FROM "WebhookDelivery";
DROP TABLE "WebhookDelivery";
ALTER TABLE "new_WebhookDelivery" RENAME TO "WebhookDelivery";
CREATE INDEX "WebhookDelivery_receivedAt_idx" ON "WebhookDelivery"("receivedAt");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
